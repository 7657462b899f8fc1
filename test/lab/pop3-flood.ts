/**
 * A POP3 login flood for the mail runbook tests: a node script (run in the attacker namespace)
 * making n wrong logins at once, each on its own connection, printing "done" when all ended.
 * At once, as floods come: one after another, Dovecot's penalty for the address would slow each
 * next try (up to 15 s).
 */
export const failedLoginsScript = (ip: string, n: number) => `
  const net = require('node:net');
  const one = (i) => new Promise((resolve) => {
    const s = net.connect(110, ${JSON.stringify(ip)});
    let step = 0;
    s.setEncoding('utf8');
    s.on('data', () => {
      if (step === 0) { s.write('USER nobody' + i + '\\r\\n'); step++; }
      else if (step === 1) { s.write('PASS wrong\\r\\n'); step++; }
      else if (step === 2) { s.end('QUIT\\r\\n'); step++; }
    });
    s.on('close', resolve);
    s.on('error', resolve);
  });
  Promise.all(Array.from({ length: ${n} }, (_, i) => one(i))).then(() => { process.stdout.write('done\\n'); setInterval(() => {}, 1 << 30); });`;
