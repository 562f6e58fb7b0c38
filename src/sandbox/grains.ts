/**
 * Grains of a simulated minion, shaped like the real ones in captures/cherrypy-09-minions-get.txt
 * (a Debian 12 host running Salt 3007.0), with the host-specific values derived from the id.
 */
import { createHash } from 'node:crypto';
import type { SaltMap, SaltValue } from '../salt/types.js';

export const SALT_VERSION = '3007.0';

/** The `index`-th minion gets 10.x.y.z addresses and MACs of its own. */
function address(index: number): { ip: string; mac: string; ip6: string } {
  const n = index + 10;
  const bytes = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  const hex = bytes.map((b) => b.toString(16).padStart(2, '0'));
  return {
    ip: `10.${bytes.join('.')}`,
    mac: `02:fc:00:${hex.join(':')}`,
    ip6: `fd00::${n.toString(16)}`,
  };
}

export function defaultGrains(id: string, index: number): SaltMap {
  const digest = createHash('sha256').update(id).digest();
  const { ip, mac, ip6 } = address(index);
  return {
    cwd: '/',
    ip_gw: true,
    ip4_gw: '10.0.0.1',
    ip6_gw: 'fd00::1',
    dns: {
      nameservers: ['10.0.0.53'],
      ip4_nameservers: ['10.0.0.53'],
      ip6_nameservers: [],
      sortlist: [],
      domain: '',
      search: [],
      options: [],
    },
    fqdns: [],
    machine_id: digest.subarray(0, 16).toString('hex'),
    master: '127.0.0.1',
    server_id: digest.readUInt32BE(16) & 0x7fffffff,
    localhost: id,
    fqdn: id,
    host: id,
    domain: '',
    hwaddr_interfaces: { lo: '00:00:00:00:00:00', eth0: mac },
    id,
    ip4_interfaces: { lo: ['127.0.0.1'], eth0: [ip] },
    ip6_interfaces: { lo: ['::1'], eth0: [ip6] },
    ipv4: ['127.0.0.1', ip],
    ipv6: ['::1', ip6],
    fqdn_ip4: [ip],
    fqdn_ip6: [],
    ip_interfaces: { lo: ['127.0.0.1', '::1'], eth0: [ip, ip6] },
    locale_info: { defaultlanguage: 'en_US', defaultencoding: 'UTF-8', detectedencoding: 'utf-8', timezone: 'UTC' },
    num_gpus: 0,
    gpus: [],
    kernel: 'Linux',
    nodename: id,
    kernelrelease: '6.1.0-18-amd64',
    kernelversion: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)',
    cpuarch: 'x86_64',
    systemd: { version: '252', features: '+PAM +AUDIT +SELINUX +APPARMOR +IMA +SMACK +SECCOMP +GCRYPT' },
    init: 'systemd',
    os: 'Debian',
    os_family: 'Debian',
    oscodename: 'bookworm',
    osfullname: 'Debian GNU/Linux',
    lsb_distrib_id: 'Debian GNU/Linux',
    lsb_distrib_release: '12',
    lsb_distrib_codename: 'bookworm',
    osrelease: '12',
    num_cpus: 2,
    cpu_model: 'AMD EPYC',
    cpu_flags: ['fpu', 'vme', 'de', 'pse', 'tsc', 'msr', 'pae', 'mce', 'cx8', 'apic', 'sse', 'sse2', 'avx', 'avx2'],
    osarch: 'amd64',
    mem_total: 3914,
    swap_total: 0,
    virtual: 'kvm',
    ps: 'ps -efHww',
    osrelease_info: [12],
    osmajorrelease: 12,
    osfinger: 'Debian-12',
    path: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    systempath: ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'],
    pythonexecutable: '/opt/saltstack/salt/bin/python3.10',
    pythonpath: ['/opt/saltstack/salt', '/opt/saltstack/salt/lib/python310.zip', '/opt/saltstack/salt/lib/python3.10'],
    pythonversion: [3, 10, 14, 'final', 0],
    saltpath: '/opt/saltstack/salt/lib/python3.10/site-packages/salt',
    saltversion: SALT_VERSION,
    saltversioninfo: [3007, 0],
    zmqversion: '4.3.4',
    disks: ['vda'],
    ssds: [],
    shell: '/bin/sh',
    transactional: false,
    efi: false,
    'efi-secure-boot': false,
    username: 'root',
    groupname: 'root',
    pid: 1000 + index,
    gid: 0,
    uid: 0,
    package: 'onedir',
  };
}

/** Grains with `overrides` laid over the defaults (top-level keys replaced). */
export function buildGrains(id: string, index: number, overrides: Record<string, SaltValue> | undefined): SaltMap {
  return { ...defaultGrains(id, index), ...overrides, id };
}
