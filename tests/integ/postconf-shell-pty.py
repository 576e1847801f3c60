#!/usr/bin/env python3
"""postconf-shell-pty.py - drive postconf --shell through a pseudo-terminal.

Checks what only a terminal session has: tab completion of commands,
parameter names, values of a type (yes/no, table types ending in ':',
master.cf services for *_transport), ^C cancelling the line being typed,
the "discard unwritten changes?" question, and the history file in $HOME.
Every wait is bounded; the child is killed at the end whatever happens.
"""
import os
import pty
import select
import shutil
import signal
import sys
import tempfile
import time

builddir = os.environ.get('top_builddir') or os.path.join(os.path.dirname(__file__), '..', '..')
postconf = os.path.join(builddir, 'tools', 'postconf', 'postconf')
if not os.access(postconf, os.X_OK):
    print('SKIP: %s is not built' % postconf)
    sys.exit(77)

work = tempfile.mkdtemp(prefix='shellpty.')
with open(os.path.join(work, 'main.cf'), 'w') as f:
    f.write('compatibility_level = 3.6\nmyhostname = mx.example.com\n')
with open(os.path.join(work, 'master.cf'), 'w') as f:
    f.write('smtp inet n - y - - smtpd\nsmtpfwd unix - - y - - smtp\n')

pid, fd = pty.fork()
if pid == 0:
    env = {'HOME': work, 'TERM': 'dumb', 'PATH': '/usr/bin:/bin', 'LC_ALL': 'C',
           'INPUTRC': '/dev/null'}
    for k in ('ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS'):
        if k in os.environ:
            env[k] = os.environ[k]
    os.execve(postconf, [postconf, '-c', work, '--shell'], env)
    os._exit(127)

seen = b''
failures = []


def expect(what, timeout=10.0):
    """read until `what` (bytes) shows up and return what came before it
    (b'' after recording a failure on timeout or EOF)"""
    global seen
    end = time.time() + timeout
    while what not in seen:
        left = end - time.time()
        if left <= 0:
            failures.append('timed out waiting for %r; got %r' % (what, seen[-300:]))
            return b''
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            continue
        try:
            data = os.read(fd, 4096)
        except OSError:
            data = b''
        if not data:
            failures.append('EOF waiting for %r; got %r' % (what, seen[-300:]))
            return b''
        seen += data
    before = seen[:seen.index(what)]
    seen = seen[seen.index(what) + len(what):]
    return before


def send(s):
    os.write(fd, s.encode())


try:
    expect(b'postconf> ')
    send('sho\t')                       # command name
    expect(b'show ')
    send('myhostn\t')                   # parameter name
    expect(b'myhostname ')
    send('\r')
    expect(b'expanded:  mx.example.com')
    expect(b'postconf> ')
    send('set smtputf8_enable y\t')     # boolean value
    expect(b'yes ')
    send('\x03')                        # ^C cancels the line
    expect(b'^C')
    expect(b'postconf> ')
    send('changed\r')                   # nothing was set by the cancelled line
    listing = expect(b'postconf> ')
    if b'myhostname = mx.example.com' not in listing or b'smtputf8' in listing:
        failures.append('^C did not cancel the line: %r' % listing)
    send('set alias_maps has\t')        # table type: completes to "hash:" without a space
    expect(b'hash:')
    send('/etc/aliases\r')
    expect(b'postconf> ')
    send('set default_transport smtpf\t')  # master.cf service for *_transport
    expect(b'smtpfwd ')
    send('\r')
    expect(b'postconf> ')
    send('quit\r')                      # unwritten changes: asks
    expect(b'discard and quit? [y/N] ')
    send('n\r')
    expect(b'postconf> ')
    send('diff\r')
    expect(b'+alias_maps = hash:/etc/aliases')
    expect(b'postconf> ')
    send('quit\r')
    expect(b'discard and quit? [y/N] ')
    send('y\r')
    end = time.time() + 10
    status = None
    while time.time() < end:
        wpid, st = os.waitpid(pid, os.WNOHANG)
        if wpid == pid:
            status = st
            break
        time.sleep(0.05)
    if status is None:
        failures.append('the shell did not exit after "quit" + "y"')
    elif not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        try:
            seen += os.read(fd, 65536)
        except OSError:
            pass
        failures.append('exit status %r, output after "y": %r' % (status, seen[-2000:]))
    hist = os.path.join(work, '.postkit_history')
    if not os.path.exists(hist):
        failures.append('no history file %s' % hist)
    else:
        text = open(hist).read()
        if 'show myhostname' not in text or 'set alias_maps hash:/etc/aliases' not in text:
            failures.append('history lacks the commands: %r' % text)
    with open(os.path.join(work, 'main.cf')) as f:
        if 'alias_maps' in f.read():
            failures.append('discarded changes were written')
finally:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (OSError, ChildProcessError):
        pass
    os.close(fd)
    shutil.rmtree(work, ignore_errors=True)

for f in failures:
    print('FAIL: ' + f)
if not failures:
    print('PASS: completion, ^C, quit question and history through a pty')
sys.exit(1 if failures else 0)
