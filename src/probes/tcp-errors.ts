/**
 * Words for a failed TCP/TLS connection, shared by the tcp and http probes: operators know the
 * Nagios plugins' phrases ("connect to address 10.0.0.5 and port 80: Connection refused"), so a
 * socket error becomes that sentence instead of Node's `connect ECONNREFUSED 10.0.0.5:80`.
 */

/** The strerror() words the plugins print for each errno Node reports. */
const errnoWords: Record<string, string> = {
  ECONNREFUSED: 'Connection refused',
  ECONNRESET: 'Connection reset by peer',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  EHOSTDOWN: 'Host is down',
  ENETDOWN: 'Network is down',
  ETIMEDOUT: 'Connection timed out',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EPIPE: 'Broken pipe',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
};

/** The formatted number of seconds, whole when it is whole: 1000 -> "1", 1500 -> "1.5". */
export function timeoutSeconds(ms: number): string {
  return String(Math.round(ms) / 1000);
}

/** Printable, bounded excerpt of what a server sent, for "Unexpected response" texts. */
export function excerpt(data: string, max = 120): string {
  // eslint-disable-next-line no-control-regex
  const clean = data.replace(/\r?\n[\s\S]*$/, '').replace(/[\x00-\x08\x0b-\x1f\x7f\ufffd]/g, '.');
  return clean.length > max ? clean.slice(0, max) + '...' : clean;
}

/**
 * The reason a connection to host:port failed, in check_tcp's words: name resolution failures
 * say which name, errno failures read `connect to address H and port P: <strerror>`, TLS
 * failures say so.
 */
export function describeConnectError(err: unknown, host: string, port: number): string {
  const e = err as NodeJS.ErrnoException & { reason?: string };
  const code = e?.code ?? '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL' || code === 'EAI_NODATA' || code === 'EAI_NONAME') {
    const why = code === 'EAI_AGAIN' ? 'temporary failure in name resolution' : 'name or service not known';
    return `cannot resolve host "${host}": ${why}`;
  }
  // Node names a failed certificate check by OpenSSL's verify code (DEPTH_ZERO_SELF_SIGNED_CERT ...).
  if (/^(CERT_|DEPTH_ZERO_|SELF_SIGNED_|UNABLE_TO_|INVALID_CA|HOSTNAME_MISMATCH|ERR_TLS_CERT_ALTNAME_INVALID)/.test(code)) {
    return `certificate verification failed for ${host} port ${port}: ${e?.reason ?? e?.message ?? code} (${code})`;
  }
  const words = errnoWords[code];
  if (words) return `connect to address ${host} and port ${port}: ${words}`;
  if (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || /ssl|tls|certificate/i.test(e?.message ?? '')) {
    return `TLS handshake with ${host} port ${port} failed: ${e?.reason ?? e?.message ?? String(err)}`;
  }
  return `connect to address ${host} and port ${port}: ${e?.message ?? String(err)}`;
}
