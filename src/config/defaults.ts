/** Salt's master defaults (salt/config DEFAULT_MASTER_OPTS, Linux values) for the options we read. */
export const MASTER_DEFAULTS = {
  /** The `-c` default of Salt's daemons; the master config is `<dir>/master`. */
  config_dir: '/etc/salt',
  default_include: 'master.d/*.conf',
  root_dir: '/',
  cachedir: '/var/cache/salt/master',
  sock_dir: '/var/run/salt/master',
  interface: '0.0.0.0',
  ret_port: 4506,
  ipc_mode: 'ipc',
  transport: 'zeromq',
  tcp_master_pub_port: 4512,
  tcp_master_pull_port: 4513,
  netapi_allow_raw_shell: false,
  token_expire: 43200,
  timeout: 5,
  gather_job_timeout: 10,
  rest_timeout: 300,
  /** salt-ssh is looked up on PATH unless an absolute path is configured. */
  salt_ssh_path: 'salt-ssh',
} as const;
