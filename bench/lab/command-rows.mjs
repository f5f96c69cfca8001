// Command rows for bench/command-log.mjs that look like a fleet's shell history: ~200 concurrent
// sessions, each a run of commands with its own connection id and seq; varied words, paths,
// hosts, ids and numbers so the trigram index sees realistic variety. Deterministic (seeded PRNG).

export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function rowGenerator(seed) {
  const r = prng(seed);
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
  const hex = (n) => {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(r() * 16)];
    return s;
  };
  const alnum = (n) => {
    let s = '';
    for (let i = 0; i < n; i++) s += 'abcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(r() * 36)];
    return s;
  };
  // Connection ids are UUIDv7 as the service makes them (server/store/time-ordered-id.ts): the
  // milliseconds first, so a later session has a larger id; random after that.
  let sessionsMade = 0;
  const uuidv7 = () => {
    const ms = (Date.UTC(2026, 0, 1) + sessionsMade++ * 1000).toString(16).padStart(12, '0');
    return `${ms.slice(0, 8)}-${ms.slice(8)}-7${hex(3)}-${'89ab'[int(0, 3)]}${hex(3)}-${hex(12)}`;
  };
  const first = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'niaj', 'olivia', 'peggy', 'rupert', 'sybil', 'trent', 'victor', 'walter', 'yuki'];
  const users = first.flatMap((n) => [`${n}@example.com`, `${n}.ops@example.com`]);
  const roles = ['web', 'api', 'db', 'cache', 'queue', 'search', 'k8s-node', 'bastion', 'build', 'batch', 'mail', 'vpn'];
  const targets = roles.flatMap((role) => [1, 2, 3, 4, 5].map((i) => `${role}-${String(i).padStart(2, '0')}`));
  const envOf = (t) => (t.endsWith('01') || t.endsWith('02') ? 'prod' : t.endsWith('03') ? 'staging' : t.endsWith('04') ? 'qa' : 'dev');
  const tusers = ['root', 'ubuntu', 'deploy', 'postgres', 'admin', 'ec2-user', 'app'];
  const services = ['nginx', 'postgresql', 'redis-server', 'docker', 'kubelet', 'sshd', 'cron', 'haproxy', 'rabbitmq-server', 'elasticsearch', 'prometheus', 'grafana-server', 'node-exporter', 'containerd'];
  const files = ['/var/log/syslog', '/var/log/nginx/access.log', '/var/log/nginx/error.log', '/etc/nginx/nginx.conf', '/etc/hosts', '/etc/fstab', '/etc/ssh/sshd_config', '/var/log/auth.log', '/etc/postgresql/15/main/pg_hba.conf', '/etc/resolv.conf', '/opt/app/config.yml', '/srv/www/index.html', '/etc/crontab', '/var/lib/docker/daemon.json', '~/.bashrc', '/etc/systemd/system/app.service', 'docker-compose.yml', 'Makefile', 'README.md', 'src/main.go'];
  const ns = ['default', 'kube-system', 'payments', 'checkout', 'monitoring', 'ingress-nginx', 'search', 'batch'];
  const apps = ['api', 'web', 'worker', 'checkout', 'payments', 'auth', 'search', 'billing', 'notifier'];
  const words = ['error', 'timeout', 'refused', 'WARN', 'panic', 'OOM', 'deadlock', 'failed', 'denied', 'slow query', 'upstream', '502', 'segfault'];
  const branches = ['main', 'develop', 'release/2.4', 'hotfix/login', 'feature/jit-approvals'];
  const ip = () => `10.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`;
  const pod = () => `${pick(apps)}-${hex(9)}-${alnum(5)}`;
  const T = [
    [6, () => `ls -la ${pick(['/var/log', '/etc', '/opt/app', '/tmp', '~', '/srv/www', '/home/deploy/releases'])}`],
    [5, () => `cd ${pick(['/var/log', '/etc/nginx', '/opt/app/current', '/tmp', '~', '/srv/www', `/home/deploy/releases/2026${int(10, 12)}${int(10, 28)}`])}`],
    [5, () => `sudo systemctl ${pick(['restart', 'status', 'reload', 'stop', 'start'])} ${pick(services)}`],
    [4, () => `sudo journalctl -u ${pick(services)} --since "${int(1, 59)} min ago" | grep -i ${pick(words)}`],
    [4, () => `tail -n ${int(10, 500)} ${pick(files)}`],
    [4, () => `grep -rn "${pick(words)}" ${pick(files)} | head -${int(5, 50)}`],
    [4, () => `kubectl get pods -n ${pick(ns)}${r() < 0.3 ? ' -o wide' : ''}`],
    [3, () => `kubectl logs ${pod()} -n ${pick(ns)} --tail=${int(50, 500)}`],
    [2, () => `kubectl describe pod ${pod()} -n ${pick(ns)}`],
    [2, () => `kubectl rollout restart deployment/${pick(apps)} -n ${pick(ns)}`],
    [3, () => `docker ps ${pick(['', '-a', '--filter status=exited', '--format "{{.Names}}"'])}`.trim()],
    [2, () => `docker logs --tail ${int(20, 300)} ${pick(apps)}_${int(1, 9)}`],
    [2, () => `docker exec -it ${pick(apps)}_${int(1, 9)} sh`],
    [3, () => `git ${pick(['status', 'pull --rebase', 'fetch --all', `log --oneline -${int(5, 30)}`, `checkout ${pick(branches)}`, `show ${hex(7)}`, `diff ${hex(7)}..${hex(7)}`])}`],
    [3, () => `vim ${pick(files)}`],
    [3, () => `cat ${pick(files)}`],
    [2, () => `ps aux | grep ${pick(services)}`],
    [2, () => `df -h${r() < 0.5 ? ' /var' : ''}`],
    [2, () => `free -m`],
    [2, () => `top -b -n 1 | head -${int(10, 30)}`],
    [2, () => `curl -s ${pick(['http', 'https'])}://${pick(apps)}.internal:${int(8000, 9100)}/${pick(['healthz', 'metrics', 'api/v1/status', 'ready'])}`],
    [2, () => `ping -c ${int(1, 5)} ${ip()}`],
    [2, () => `ssh ${pick(tusers)}@${ip()}`],
    [2, () => `psql -h ${pick(targets)} -U ${pick(['app', 'postgres', 'readonly'])} -d ${pick(apps)} -c "SELECT count(*) FROM ${pick(['orders', 'users', 'sessions', 'payments', 'events'])} WHERE created_at > now() - interval '${int(1, 48)} hours'"`],
    [1, () => `redis-cli -h ${ip()} ${pick(['INFO memory', 'DBSIZE', `GET session:${hex(16)}`, 'SLOWLOG GET 10'])}`],
    [2, () => `find ${pick(['/var/log', '/tmp', '/opt/app', '/home'])} -name "*.${pick(['log', 'gz', 'tmp', 'pid', 'core'])}" -mtime +${int(1, 30)}${r() < 0.3 ? ' -delete' : ''}`],
    [1, () => `rm -rf /tmp/${pick(['build', 'cache', 'upload', 'tmp'])}-${hex(6)}`],
    [1, () => `tar czf /backup/${pick(apps)}-$(date +%F).tar.gz ${pick(['/opt/app', '/etc', '/srv/www'])}`],
    [1, () => `scp ${pick(files)} ${pick(tusers)}@${ip()}:/tmp/`],
    [1, () => `awk '{print $${int(1, 9)}}' ${pick(files)} | sort | uniq -c | sort -rn | head`],
    [1, () => `sed -i 's/${pick(['debug', 'info', 'warn'])}/${pick(['info', 'warn', 'error'])}/' ${pick(files)}`],
    [1, () => `chmod ${pick(['600', '640', '644', '755', '+x'])} ${pick(files)}`],
    [1, () => `sudo apt-get ${pick(['update', 'upgrade -y', `install -y ${pick(['htop', 'jq', 'curl', 'strace', 'tcpdump', 'nmap'])}`])}`],
    [1, () => `sudo tcpdump -i ${pick(['eth0', 'ens5', 'any'])} port ${int(1, 65535)} -c ${int(10, 1000)}`],
    [1, () => `export ${pick(['APP_ENV', 'LOG_LEVEL', 'DATABASE_URL', 'RELEASE'])}=${alnum(int(4, 12))}`],
    [1, () => `echo $${pick(['PATH', 'HOME', 'APP_ENV', 'KUBECONFIG'])}`],
    [1, () => `history | tail -${int(10, 50)}`],
    [1, () => `htop`],
    [1, () => `whoami`],
    [1, () => `python3 manage.py ${pick(['migrate', 'shell', 'createsuperuser', 'collectstatic --noinput'])}`],
    [1, () => `openssl s_client -connect ${pick(apps)}.example.com:443 -servername ${pick(apps)}.example.com`],
    [1, () => `terraform ${pick(['plan', 'apply -auto-approve', 'state list', `import aws_instance.${pick(apps)} i-${hex(17)}`])}`],
    // Rare on purpose, to have needles with few matches.
    [0.02, () => `sudo cat /etc/shadow`],
    [0.002, () => `sudo passwd --expire ${pick(first)}`],
  ];
  const total = T.reduce((s, [w]) => s + w, 0);
  const templ = () => {
    let x = r() * total;
    for (const [w, fn] of T) if ((x -= w) < 0) return fn();
    return T[0][1]();
  };
  // Concurrent sessions: a command comes from one of them; a session ends after 5–200 commands.
  const sessions = [];
  const newSession = () => {
    const target = pick(targets);
    return { id: uuidv7(), seq: 0, left: int(5, 200), email: pick(users), target, tuser: pick(tusers), env: envOf(target), t: 0 };
  };
  for (let i = 0; i < 200; i++) sessions.push(newSession());
  return (atIso) => {
    const k = Math.floor(r() * sessions.length);
    let s = sessions[k];
    if (s.left-- <= 0) s = sessions[k] = newSession();
    s.t += 1 + r() * 30;
    return {
      at: atIso,
      connection_id: s.id,
      seq: s.seq++,
      user_id: `u-${s.email.split('@')[0]}`,
      user_email: s.email,
      target_name: s.target,
      target_user: s.tuser,
      environment: s.env,
      command: templ(),
      exit_code: r() < 0.9 ? 0 : int(1, 127),
      offset_seconds: Math.round(s.t * 1000) / 1000,
    };
  };
}

/** Needles for `--grep`: common, medium, rare and absent (all ≥ 3 characters: FTS path). */
export const NEEDLES = ['sudo', 'log', 'kubectl get pods', 'systemctl restart nginx', 'slow query', '/etc/shadow', 'passwd --expire', 'no-such-command-zq'];
