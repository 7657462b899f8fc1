/**
 * OpenSSH sshd, 6.x-9.x. `lab` lines were written by Debian 12's OpenSSH 9.2p1 in the lab (an
 * `sshd -E` file, so no syslog header), attacked from the lab's attacker namespace; the others are
 * written from the format string named in `source`, in syslog form (the header is rsyslog's).
 * Addresses a client wrote are 6.6.6.x; the server's own are 10.0.0.1 and 192.0.2.10.
 */
import type { CorpusEntry } from './types.ts';

const LAB = 'lab: OpenSSH 9.2p1 (Debian 12), sshd -E';
/** A syslog line from `prog`. */
const sys = (msg: string, prog = 'sshd') => `Dec  7 04:10:00 web1 ${prog}[2201]: ${msg}`;

const entries: CorpusEntry[] = [
  // --- auth.c auth_log(): "%s %s%s%s for %s%.100s from %.200s port %d ssh2%s%s"
  { form: 'Failed password (lab)', source: LAB, line: 'Failed password for root from 10.132.54.66 port 45756 ssh2', address: '10.132.54.66' },
  { form: 'Failed password, invalid user (lab)', source: LAB, line: 'Failed password for invalid user nosuch from 10.132.54.66 port 45772 ssh2', address: '10.132.54.66' },
  { form: 'Failed password, invalid user over IPv6 (lab)', source: LAB, line: 'Failed password for invalid user nosuch6 from fd6d:1f:76::66 port 54392 ssh2', address: 'fd6d:1f:76::66' },
  { form: 'Failed password (syslog)', source: 'auth.c auth_log() "Failed %s for %s%.100s from %.200s port %d ssh2"', line: sys('Failed password for root from 203.0.113.10 port 40022 ssh2'), address: '203.0.113.10' },
  { form: 'Failed password, invalid user (syslog)', source: 'auth.c auth_log(), !authctxt->valid', line: sys('Failed password for invalid user admin from 203.0.113.11 port 40023 ssh2'), address: '203.0.113.11' },
  { form: 'Failed password, empty user name', source: 'auth.c auth_log(), user ""', line: sys('Failed password for invalid user  from 203.0.113.12 port 40024 ssh2'), address: '203.0.113.12' },
  { form: 'Failed password, dual-stack mapped address', source: 'auth.c auth_log(), ssh_remote_ipaddr() of an AF_INET6 socket', line: sys('Failed password for root from ::ffff:203.0.113.13 port 40025 ssh2'), address: '203.0.113.13' },
  { form: 'Failed password, IPv6', source: 'auth.c auth_log()', line: sys('Failed password for root from 2001:db8::14 port 40026 ssh2'), address: '2001:db8::14' },
  { form: 'Failed password, sshd-session (9.8+)', source: 'OpenSSH 9.8 sshd-session, auth.c auth_log()', line: sys('Failed password for root from 203.0.113.15 port 40027 ssh2', 'sshd-session'), address: '203.0.113.15' },
  { form: 'Failed password, journald short-iso', source: 'auth.c auth_log(), journalctl -o short-iso', line: '2026-12-07T04:10:00+0900 web1 sshd[2201]: Failed password for root from 203.0.113.16 port 40028 ssh2', address: '203.0.113.16' },
  { form: 'Failed password, protocol 1 (6.x)', source: 'OpenSSH 6.x auth.c auth_log() "... port %d %s" with compat20 ? "ssh2" : "ssh1"', line: sys('Failed password for root from 203.0.113.17 port 40029 ssh1'), address: '203.0.113.17' },
  { form: 'Failed keyboard-interactive/pam', source: 'auth.c auth_log(), method "keyboard-interactive", submethod "pam"', line: sys('Failed keyboard-interactive/pam for invalid user test from 203.0.113.18 port 40030 ssh2'), address: '203.0.113.18' },
  { form: 'Failed keyboard-interactive (no submethod)', source: 'auth.c auth_log(), submethod NULL', line: sys('Failed keyboard-interactive for root from 203.0.113.19 port 40031 ssh2'), address: '203.0.113.19' },
  { form: 'Failed password, user name holding an address', source: 'auth.c auth_log(); the user name is the client\'s', line: sys('Failed password for invalid user 6.6.6.6 from 203.0.113.20 port 40032 ssh2'), address: '203.0.113.20' },
  { form: 'Failed password, user name writing the rest of the line', source: 'auth.c auth_log(); user "root from 6.6.6.6 port 22 ssh2"', line: sys('Failed password for root from 6.6.6.6 port 22 ssh2 from 203.0.113.21 port 5 ssh2'), address: '203.0.113.21' },
  { form: 'Failed publickey (lab, aggressive)', source: LAB, line: 'Failed publickey for root from 10.132.54.66 port 45800 ssh2: ED25519 SHA256:SMflfFCNG1fMhMf9/JPShwek41Y1GZUt8T2stUkmK04', address: '10.132.54.66', mode: 'aggressive' },
  { form: 'Failed publickey, RSA SHA256 (aggressive)', source: 'auth.c auth_log() with format_method_key(): "%s %s"', line: sys('Failed publickey for invalid user git from 203.0.113.22 port 40033 ssh2: RSA SHA256:0123456789abcdefghijklmnopqrstuvwxyzABCDEFG'), address: '203.0.113.22', mode: 'aggressive' },
  { form: 'Failed publickey, MD5 fingerprint (6.x, aggressive)', source: 'OpenSSH 6.x auth.c auth_log(): key_fingerprint(key, SSH_FP_MD5, SSH_FP_HEX)', line: sys('Failed publickey for root from 203.0.113.23 port 40034 ssh2: RSA 12:f8:7e:78:61:b4:bf:e2:de:24:15:96:4e:d4:72:53'), address: '203.0.113.23', mode: 'aggressive' },
  { form: 'Failed none for an invalid user (aggressive)', source: 'auth.c auth_log(), method "none", INFO level for invalid users', line: sys('Failed none for invalid user support from 203.0.113.24 port 40035 ssh2 [preauth]'), address: '203.0.113.24', mode: 'aggressive' },
  { form: 'Failed gssapi-with-mic (aggressive)', source: 'auth.c auth_log(), method "gssapi-with-mic"', line: sys('Failed gssapi-with-mic for root from 203.0.113.25 port 40036 ssh2'), address: '203.0.113.25', mode: 'aggressive' },

  // --- auth.c getpwnamallow(): "Invalid user %.100s from %.100s port %d" (7.5+), without port before
  { form: 'Invalid user (lab)', source: LAB, line: 'Invalid user nosuch from 10.132.54.66 port 45772', address: '10.132.54.66' },
  { form: 'Invalid user over IPv6 (lab)', source: LAB, line: 'Invalid user nosuch6 from fd6d:1f:76::66 port 54392', address: 'fd6d:1f:76::66' },
  { form: 'Invalid user with port (7.5+)', source: 'auth.c getpwnamallow() "Invalid user %.100s from %.100s port %d"', line: sys('Invalid user oracle from 203.0.113.30 port 40040'), address: '203.0.113.30' },
  { form: 'Invalid user without port (6.x-7.4)', source: 'OpenSSH 6.x auth.c getpwnamallow() "Invalid user %.100s from %.100s"', line: sys('Invalid user guest from 203.0.113.31'), address: '203.0.113.31' },
  { form: 'Invalid user: a user name that is an address', source: 'auth.c getpwnamallow(); the user name is the client\'s', line: sys('Invalid user 1.2.3.4 from 203.0.113.32 port 40041'), address: '203.0.113.32' },
  { form: 'Invalid user: the brief\'s case', source: 'auth.c getpwnamallow(); user "1.2.3.4"', line: sys('Invalid user 1.2.3.4 from 5.6.7.8'), address: '5.6.7.8' },
  { form: 'Invalid user: user name writing "from A port P"', source: 'auth.c getpwnamallow(); user "x from 6.6.6.6 port 22"', line: sys('Invalid user x from 6.6.6.6 port 22 from 203.0.113.33 port 40042'), address: '203.0.113.33' },
  { form: 'Invalid user, IPv6', source: 'auth.c getpwnamallow()', line: sys('Invalid user pi from 2001:db8::34 port 40043'), address: '2001:db8::34' },

  // --- auth.c allowed_user()
  { form: 'User not allowed, DenyUsers (lab)', source: LAB, line: 'User nobody from 10.132.54.66 not allowed because listed in DenyUsers', address: '10.132.54.66' },
  { form: 'User not allowed, AllowUsers', source: 'auth.c allowed_user() "User %.100s from %.100s not allowed because not listed in AllowUsers"', line: sys('User ghost from 203.0.113.40 not allowed because not listed in AllowUsers'), address: '203.0.113.40' },
  { form: 'User not allowed, no group', source: 'auth.c allowed_user() "... because not in any group"', line: sys('User ghost from 203.0.113.41 not allowed because not in any group'), address: '203.0.113.41' },
  { form: 'User not allowed, DenyGroups', source: 'auth.c allowed_user() "... because a group is listed in DenyGroups"', line: sys('User ghost from 203.0.113.42 not allowed because a group is listed in DenyGroups'), address: '203.0.113.42' },
  { form: 'User not allowed, AllowGroups', source: 'auth.c allowed_user() "... because none of user\'s groups are listed in AllowGroups"', line: sys('User ghost from 203.0.113.43 not allowed because none of user\'s groups are listed in AllowGroups'), address: '203.0.113.43' },

  // --- too many attempts
  { form: 'maximum authentication attempts (lab)', source: LAB, line: 'maximum authentication attempts exceeded for root from 10.132.54.66 port 45770 ssh2 [preauth]', address: '10.132.54.66' },
  { form: 'maximum authentication attempts, invalid user (lab)', source: LAB, line: 'maximum authentication attempts exceeded for invalid user nosuch2 from 10.132.54.66 port 45786 ssh2 [preauth]', address: '10.132.54.66' },
  { form: 'maximum authentication attempts, error: prefix (syslog)', source: 'auth.c auth_maxtries_exceeded() error("maximum authentication attempts exceeded for %s%.100s from %.200s port %d ssh2")', line: sys('error: maximum authentication attempts exceeded for root from 203.0.113.50 port 40050 ssh2 [preauth]'), address: '203.0.113.50' },
  { form: 'Disconnecting authenticating user: too many failures (lab)', source: LAB, line: 'Disconnecting authenticating user root 10.132.54.66 port 45770: Too many authentication failures [preauth]', address: '10.132.54.66' },
  { form: 'Disconnecting invalid user: too many failures (lab)', source: LAB, line: 'Disconnecting invalid user nosuch2 10.132.54.66 port 45786: Too many authentication failures [preauth]', address: '10.132.54.66' },
  { form: 'Disconnecting: user name writing the line', source: 'packet.c ssh_packet_disconnect() "Disconnecting %s: %.100s"; user "x 6.6.6.6 port 1: Too many authentication failures [preauth] y"', line: sys('Disconnecting invalid user x 6.6.6.6 port 1: Too many authentication failures [preauth] y 203.0.113.51 port 40051: Too many authentication failures [preauth]'), address: '203.0.113.51' },
  { form: 'Disconnecting: change of user name (aggressive)', source: 'auth2.c input_userauth_request() "Change of username or service not allowed: (%s,%s) -> (%s,%s)"', line: sys('Disconnecting invalid user admin 203.0.113.52 port 40052: Change of username or service not allowed: (admin,ssh-connection) -> (root,ssh-connection) [preauth]'), address: '203.0.113.52', mode: 'aggressive' },
  { form: 'Disconnecting: change of user name, both names forged (aggressive)', source: 'auth2.c input_userauth_request(); names "a 6.6.6.6 port 1" and "b"', line: sys('Disconnecting invalid user a 6.6.6.6 port 1 203.0.113.53 port 40053: Change of username or service not allowed: (a 6.6.6.6 port 1,ssh-connection) -> (b 6.6.6.6 port 2: Change of username,ssh-connection) [preauth]'), address: '203.0.113.53', mode: 'aggressive' },

  // --- packet.c sshpkt_vfatal() with the user preamble (7.6+)
  { form: 'Connection closed by authenticating user (lab)', source: LAB, line: 'Connection closed by authenticating user root 10.132.54.66 port 45756 [preauth]', address: '10.132.54.66' },
  { form: 'Connection closed by invalid user (lab)', source: LAB, line: 'Connection closed by invalid user nosuch 10.132.54.66 port 45772 [preauth]', address: '10.132.54.66' },
  { form: 'Connection closed by invalid user, IPv6 (lab)', source: LAB, line: 'Connection closed by invalid user nosuch6 fd6d:1f:76::66 port 54392 [preauth]', address: 'fd6d:1f:76::66' },
  { form: 'Connection reset by authenticating user', source: 'packet.c sshpkt_vfatal() "Connection reset by %s", ECONNRESET', line: sys('Connection reset by authenticating user root 203.0.113.60 port 40060 [preauth]'), address: '203.0.113.60' },
  { form: 'Disconnected from authenticating user', source: 'packet.c sshpkt_vfatal() "Disconnected from %s"', line: sys('Disconnected from authenticating user root 203.0.113.61 port 40061 [preauth]'), address: '203.0.113.61' },
  { form: 'Disconnected from invalid user', source: 'packet.c sshpkt_vfatal() "Disconnected from %s"', line: sys('Disconnected from invalid user admin 203.0.113.62 port 40062 [preauth]'), address: '203.0.113.62' },
  { form: 'Connection closed by invalid user: user name holding an address', source: 'packet.c sshpkt_vfatal(); user "6.6.6.6 port 22"', line: sys('Connection closed by invalid user 6.6.6.6 port 22 203.0.113.63 port 40063 [preauth]'), address: '203.0.113.63' },

  // --- PAM
  { form: 'PAM: Authentication failure', source: 'auth-pam.c sshpam_auth_passwd() error("PAM: %s for %s%.100s from %.100s")', line: sys('error: PAM: Authentication failure for root from 203.0.113.70'), address: '203.0.113.70' },
  { form: 'PAM: Authentication failure for illegal user', source: 'auth-pam.c, !authctxt->valid', line: sys('error: PAM: Authentication failure for illegal user admin from 203.0.113.71'), address: '203.0.113.71' },
  { form: 'PAM: User not known', source: 'auth-pam.c with pam_strerror(PAM_USER_UNKNOWN)', line: sys('error: PAM: User not known to the underlying authentication module for illegal user test from 203.0.113.72'), address: '203.0.113.72' },
  { form: 'PAM: maximum tries', source: 'auth-pam.c with pam_strerror(PAM_MAXTRIES)', line: sys('error: PAM: Maximum number of tries exceeded for root from 203.0.113.73'), address: '203.0.113.73' },
  { form: 'pam_unix authentication failure with rhost and user', source: 'pam_unix pam_unix_auth.c/support.c "authentication failure; logname=%s uid=%d euid=%d tty=%s ruser=%s rhost=%s %s%s"', line: sys('pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.74  user=root'), address: '203.0.113.74' },
  { form: 'pam_unix authentication failure, no user', source: 'pam_unix support.c, user unset: the line ends after "rhost=%s "', line: sys('pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.75 '), address: '203.0.113.75' },
  { form: 'pam_unix: user name writing rhost=', source: 'pam_unix support.c; user "root rhost=6.6.6.6"', line: sys('pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.76  user=root rhost=6.6.6.6'), address: '203.0.113.76' },
  { form: 'pam_unix with IPv6 rhost', source: 'pam_unix support.c', line: sys('pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=2001:db8::77  user=admin'), address: '2001:db8::77' },

  // --- ddos: before a login is tried
  { form: 'banner exchange: invalid format (lab, ddos)', source: LAB, line: 'banner exchange: Connection from 10.132.54.66 port 45856: invalid format', address: '10.132.54.66', mode: 'ddos' },
  { form: 'banner exchange: could not read protocol version (lab, ddos)', source: LAB, line: 'banner exchange: Connection from 10.132.54.66 port 45870: could not read protocol version', address: '10.132.54.66', mode: 'ddos' },
  { form: 'Unable to negotiate: cipher (lab, ddos)', source: LAB, line: 'Unable to negotiate with 10.132.54.66 port 45830: no matching cipher found. Their offer: 3des-cbc [preauth]', address: '10.132.54.66', mode: 'ddos' },
  { form: 'Unable to negotiate: key exchange (lab, ddos)', source: LAB, line: 'Unable to negotiate with 10.132.54.66 port 45840: no matching key exchange method found. Their offer: diffie-hellman-group14-sha1,ext-info-c,kex-strict-c-v00@openssh.com [preauth]', address: '10.132.54.66', mode: 'ddos' },
  { form: 'Unable to negotiate: a host key offer holding an address (ddos)', source: 'packet.c sshpkt_vfatal() "Unable to negotiate with %s: no matching %s found. Their offer: %s"', line: sys('Unable to negotiate with 203.0.113.80 port 40080: no matching host key type found. Their offer: 6.6.6.6 port 1: no matching [preauth]'), address: '203.0.113.80', mode: 'ddos' },
  { form: 'Connection closed before the banner (lab, ddos)', source: LAB, line: 'Connection closed by 10.132.54.66 port 45852', address: '10.132.54.66', mode: 'ddos' },
  { form: 'Connection reset before the banner (lab, ddos)', source: LAB, line: 'Connection reset by 10.132.54.66 port 46600', address: '10.132.54.66', mode: 'ddos' },
  { form: 'Connection closed in key exchange (7.x, ddos)', source: 'OpenSSH 7.x packet.c "Connection closed by %s port %d"', line: sys('Connection closed by 203.0.113.81 port 40081 [preauth]'), address: '203.0.113.81', mode: 'ddos' },
  { form: 'Connection closed (6.x, ddos)', source: 'OpenSSH 6.x packet.c logit("Connection closed by %.200s", get_remote_ipaddr())', line: sys('Connection closed by 203.0.113.82 [preauth]'), address: '203.0.113.82', mode: 'ddos' },
  { form: 'Disconnected without a user (ddos)', source: 'packet.c sshpkt_vfatal() "Disconnected from %s", no preamble', line: sys('Disconnected from 203.0.113.83 port 40083 [preauth]'), address: '203.0.113.83', mode: 'ddos' },
  { form: 'Did not receive identification string (7.x, ddos)', source: 'OpenSSH 7.x sshd.c "Did not receive identification string from %s port %d"', line: sys('Did not receive identification string from 203.0.113.84 port 40084'), address: '203.0.113.84', mode: 'ddos' },
  { form: 'Did not receive identification string (6.x, ddos)', source: 'OpenSSH 6.x sshd.c "Did not receive identification string from %s"', line: sys('Did not receive identification string from 203.0.113.85'), address: '203.0.113.85', mode: 'ddos' },
  { form: 'Bad protocol version identification (ddos)', source: 'OpenSSH 6.x-7.x sshd.c "Bad protocol version identification \'%.100s\' from %s port %d"', line: sys('Bad protocol version identification \'GET / HTTP/1.1\' from 203.0.113.86 port 40086'), address: '203.0.113.86', mode: 'ddos' },
  { form: 'Bad protocol version identification, banner writing an address (ddos)', source: 'sshd.c; banner "x\' from 6.6.6.6 port 1"', line: sys('Bad protocol version identification \'x\' from 6.6.6.6 port 1\' from 203.0.113.87 port 40087'), address: '203.0.113.87', mode: 'ddos' },
  { form: 'Protocol major versions differ (6.x-7.x, ddos)', source: 'OpenSSH 7.x sshd.c "Protocol major versions differ for %s port %d: %.200s vs. %.200s"', line: sys('Protocol major versions differ for 203.0.113.88 port 40088: SSH-2.0-OpenSSH_7.4 vs. SSH-1.5-Nmap-SSH1-Hostkey'), address: '203.0.113.88', mode: 'ddos' },
  { form: 'Timeout before authentication (ddos)', source: 'sshd.c grace_alarm_handler() "Timeout before authentication for %s port %d"', line: sys('fatal: Timeout before authentication for 203.0.113.89 port 40089'), address: '203.0.113.89', mode: 'ddos' },
  { form: 'ssh_dispatch_run_fatal (ddos)', source: 'packet.c sshpkt_vfatal() default: "%s%sConnection %s %s" + ": " + ssh_err()', line: sys('ssh_dispatch_run_fatal: Connection from 203.0.113.90 port 40090: message authentication code incorrect [preauth]'), address: '203.0.113.90', mode: 'ddos' },
  { form: 'PerSourcePenalties drop (9.8+, ddos)', source: 'OpenSSH 9.8 sshd.c "drop connection #%d from [%s]:%d on [%s]:%d penalty: %s"', line: sys('drop connection #3 from [203.0.113.91]:40091 on [192.0.2.10]:22 penalty: failed authentication'), address: '203.0.113.91', mode: 'ddos' },

  // --- aggressive: the client's disconnect before authentication
  { form: 'Received disconnect (7.x+, aggressive)', source: 'packet.c "Received disconnect from %s port %d:%u: %.400s"', line: sys('Received disconnect from 203.0.113.95 port 40095:11: Bye Bye [preauth]'), address: '203.0.113.95', mode: 'aggressive' },
  { form: 'Received disconnect, empty reason (aggressive)', source: 'packet.c, msg ""', line: sys('Received disconnect from 203.0.113.96 port 40096:11:  [preauth]'), address: '203.0.113.96', mode: 'aggressive' },
  { form: 'Received disconnect, JSch auth fail at error level (aggressive)', source: 'packet.c do_log2(SYSLOG_LEVEL_ERROR) for reason != BY_APPLICATION', line: sys('error: Received disconnect from 203.0.113.97 port 40097:3: com.jcraft.jsch.JSchException: Auth fail [preauth]'), address: '203.0.113.97', mode: 'aggressive' },
  { form: 'Received disconnect (6.x, aggressive)', source: 'OpenSSH 6.x packet.c "Received disconnect from %s: %u: %.400s"', line: sys('Received disconnect from 203.0.113.98: 11: Bye Bye [preauth]'), address: '203.0.113.98', mode: 'aggressive' },
  { form: 'Received disconnect (6.x), IPv6 (aggressive)', source: 'OpenSSH 6.x packet.c "Received disconnect from %s: %u: %.400s"', line: sys('Received disconnect from 2001:db8::99:11: 11: Bye Bye [preauth]'), address: '2001:db8::99:11', mode: 'aggressive' },
  { form: 'Received disconnect, reason writing an address (aggressive)', source: 'packet.c; reason "from 6.6.6.6 port 1:11: x"', line: sys('Received disconnect from 203.0.113.100 port 40100:11: from 6.6.6.6 port 1:11: x [preauth]'), address: '203.0.113.100', mode: 'aggressive' },

  // --- must not match
  { form: 'Accepted password', source: 'auth.c auth_log(), authenticated', line: sys('Accepted password for root from 203.0.113.110 port 40110 ssh2'), address: null },
  { form: 'Accepted publickey (lab wording)', source: 'auth.c auth_log(), authenticated', line: sys('Accepted publickey for deploy from 203.0.113.111 port 40111 ssh2: ED25519 SHA256:SMflfFCNG1fMhMf9/JPShwek41Y1GZUt8T2stUkmK04'), address: null },
  { form: 'Accepted password, user name writing a failure', source: 'auth.c auth_log(); user "Failed password for root from 6.6.6.6 port 22 ssh2"', line: sys('Accepted password for Failed password for root from 6.6.6.6 port 22 ssh2 from 203.0.113.112 port 40112 ssh2'), address: null },
  { form: 'Failed publickey with a certificate ID (client text after the address)', source: 'auth.c format_method_key() "%s %s ID %s (serial %llu) CA %s %s"', line: sys('Failed publickey for root from 6.6.6.6 port 22 ssh2: ED25519-CERT SHA256:SMflfFCNG1fMhMf9/JPShwek41Y1GZUt8T2stUkmK04 ID x from 6.6.6.6 port 22 ssh2 (serial 1) CA ED25519 SHA256:SMflfFCNG1fMhMf9/JPShwek41Y1GZUt8T2stUkmK04'), address: null },
  { form: 'Failed hostbased (client host name after the address)', source: 'auth2-hostbased.c auth_method_info "client user \\"%.100s\\", client host \\"%.100s\\""', line: sys('Failed hostbased for root from 203.0.113.113 port 40113 ssh2: ED25519 SHA256:SMflfFCNG1fMhMf9/JPShwek41Y1GZUt8T2stUkmK04, client user "x", client host "6.6.6.6"'), address: null },
  { form: 'Connection from (the server\'s own address after the client\'s; lab)', source: LAB, line: 'Connection from 10.132.54.66 port 45756 on 10.132.54.10 port 22 rdomain ""', address: null },
  { form: 'Server listening (its own address; lab)', source: LAB, line: 'Server listening on 10.132.54.10 port 22.', address: null },
  { form: 'Disconnected from user after a session', source: 'packet.c sshpkt_vfatal(), preamble "user %s" after authentication', line: sys('Disconnected from user root 203.0.113.114 port 40114'), address: null },
  { form: 'Received disconnect after a session (no preauth)', source: 'packet.c "Received disconnect from %s port %d:%u: %.400s"', line: sys('Received disconnect from 203.0.113.115 port 40115:11: disconnected by user'), address: null },
  { form: 'pam_unix without rhost', source: 'pam_unix support.c, PAM_RHOST unset', line: sys('pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=  user=root'), address: null },
  { form: 'PAM N more failures (a summary of lines already counted)', source: 'pam_unix _cleanup_failures() "%d more authentication failure%s; ..."', line: sys('PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.116  user=root'), address: null },
  { form: 'pam_unix session opened', source: 'pam_unix pam_unix_sess.c "session opened for user %s"', line: sys('pam_unix(sshd:session): session opened for user root(uid=0) by (uid=0)'), address: null },
  { form: 'PAM: host name, not an address (UseDNS)', source: 'auth-pam.c with get_remote_name_or_ip(utmp_len, options.use_dns)', line: sys('error: PAM: Authentication failure for root from client.example.net'), address: null },
  { form: 'kex_exchange_identification without an address (lab)', source: LAB, line: 'kex_exchange_identification: client sent invalid protocol identifier "GET / HTTP/1.1"', address: null },
  { form: 'Could not get shadow information (lab)', source: LAB, line: 'Could not get shadow information for NOUSER', address: null },
  { form: 'another program writing sshd\'s words', source: 'a web application logging to syslog', line: 'Dec  7 04:10:00 web1 webapp[3009]: Failed password for root from 6.6.6.6 port 22 ssh2', address: null },
  { form: 'a syslog line without a program tag', source: 'rsyslog, malformed message', line: 'Dec  7 04:10:00 web1 Invalid user x from 6.6.6.6 port 22', address: null },
  { form: 'Bad protocol version identification in normal mode is not a failure', source: 'sshd.c; banner "Invalid user x from 6.6.6.6 port 22"', line: sys('Bad protocol version identification \'Invalid user x from 6.6.6.6 port 22\' from 6.6.6.6 port 40105 x'), address: null },
  { form: 'drop connection past MaxStartups (any client when the server is busy)', source: 'OpenSSH 9.8 sshd.c "drop connection #%d from [%s]:%d on [%s]:%d past MaxStartups"', line: sys('drop connection #9 from [203.0.113.117]:40117 on [192.0.2.10]:22 past MaxStartups'), address: null },
];

export default entries;
