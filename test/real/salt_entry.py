"""
Entry point the real-master harness (saltMaster.ts) runs with Debian's /usr/bin/python3, with
PYTHONPATH=<salt source tree>:test/real/pystubs. Salt runs straight from the exported source
tree: nothing is pip-installed.

  salt_entry.py master -c CONFIG_DIR [salt-master options]   run salt-master in the foreground
  salt_entry.py minion -c CONFIG_DIR [salt-minion options]   run salt-minion in the foreground
  salt_entry.py version                                      print salt.version.__version__ (JSON)
  salt_entry.py cmd MASTER_CONFIG TARGET FUN [ARGS_JSON] [TIMEOUT]
                                                             LocalClient.cmd, result as JSON

For `master` and `minion`, stdin is a pipe from the Node process that started us. A watchdog
thread waits for it to close (Node exited, however it died, even by SIGKILL) and then kills
our whole process group, so no salt-master worker or minion outlives the test run.
"""

import json
import os
import signal
import sys
import threading


def _watch_parent():
    try:
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    os.killpg(os.getpgrp(), signal.SIGKILL)


def _start_watchdog():
    threading.Thread(target=_watch_parent, name="parent-watchdog", daemon=True).start()


def _preload_tornado_queues():
    """
    Salt 3007's salt/transport/zeromq.py calls tornado.queues.Queue() after only `import tornado`,
    relying on some other module having imported the submodule. With Debian's tornado 6.2 and
    pyzmq 24 nothing does, and every request client fails with "module 'tornado' has no attribute
    'queues'". Importing it here fixes that for this process and the ones it forks.

    `import salt` must come first: Salt 3006 installs an import hook that maps `tornado` to its
    vendored salt.ext.tornado, and a system tornado imported before that hook breaks 3006's
    publisher ("current IOLoop already exists"). After the hook, this import is harmless there.
    """
    import salt  # noqa: F401

    try:
        import tornado.queues  # noqa: F401
    except ImportError:
        pass


def _run_daemon(role, argv):
    _preload_tornado_queues()
    import salt.scripts

    _start_watchdog()
    sys.argv = [f"salt-{role}", *argv]
    if role == "master":
        salt.scripts.salt_master()
    else:
        salt.scripts.salt_minion()


def _print_version():
    import salt.version

    print(json.dumps(salt.version.__version__))


def _local_cmd(master_config, target, fun, args_json="[]", timeout="10"):
    _preload_tornado_queues()
    import salt.client

    client = salt.client.LocalClient(c_path=master_config)
    try:
        result = client.cmd(target, fun, arg=json.loads(args_json), timeout=float(timeout))
    finally:
        client.destroy()
    print(json.dumps(result, default=repr))


def main(argv):
    if len(argv) >= 1 and argv[0] in ("master", "minion"):
        _run_daemon(argv[0], argv[1:])
    elif argv == ["version"]:
        _print_version()
    elif len(argv) >= 3 and argv[0] == "cmd":
        _local_cmd(*argv[1:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
