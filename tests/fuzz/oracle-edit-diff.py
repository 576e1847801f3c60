#!/usr/bin/env python3
"""oracle-edit-diff.py - differential test of postconf's edits against the real Postfix 3.7.

Run by hand on a machine with Postfix 3.7 in /usr/sbin:

    tests/fuzz/oracle-edit-diff.py [SEED [COUNT [BUILDDIR]]]

Random main.cf/master.cf files (continuations, comments inside them, blank lines, CRLF,
missing final newlines, duplicates, -o long forms, { } groups) get random edits
(-e/-X/-#, -Me/-MX/-M#, -Fe, -Pe/-PX, wildcards), once through /usr/sbin/postconf and once
through BUILDDIR/tools/postconf/postconf --force (no type checks); exit status, stdout,
stderr and both files must be identical.  The two deliberate differences of postkit
(tools/postconf/README.md) are allowed: a newline added after an unterminated last line,
and the order of several appended main.cf settings.  Prints each mismatch and a summary.
"""
import os
import random, subprocess, shutil, sys, tempfile
R = random.Random(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
N = int(sys.argv[2]) if len(sys.argv) > 2 else 200
BUILD = sys.argv[3] if len(sys.argv) > 3 else os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
OURS = os.path.join(BUILD, 'tools', 'postconf')
if not os.access('/usr/sbin/postconf', os.X_OK) or not os.access(os.path.join(OURS, 'postconf'), os.X_OK):
    print('needs /usr/sbin/postconf (Postfix 3.7) and a built postkit postconf')
    sys.exit(77)
names = ['a', 'b', 'cc', 'myhostname', 'x_y', 'dup']
def main_cf():
    out = []
    for _ in range(R.randint(0, 8)):
        k = R.random()
        if k < 0.15: out.append('#' + R.choice(['', ' comment', 'a = 1']))
        elif k < 0.25: out.append(R.choice(['', '   ', '\t']))
        elif k < 0.3: out.append('  orphan = x')
        else:
            n = R.choice(names)
            sep = R.choice([' = ', '=', '\t=  ', ' ='])
            out.append(n + sep + R.choice(['1', 'v v', '', '$a']))
            for _ in range(R.choice([0, 0, 1, 2])):
                out.append(R.choice(['  more', '\tx,', '#c', '', '  # indented comment']))
    s = '\n'.join(out)
    if out and R.random() < 0.8: s += '\n'
    if R.random() < 0.1: s = s.replace('\n', '\r\n')
    return s
svcs = ['smtp/inet', 'relay/unix', 'x/unix', 'p/unix', 'smtp/unix']
def master_cf():
    out = []
    for _ in range(R.randint(0, 7)):
        k = R.random()
        if k < 0.15: out.append('#' + R.choice(['', 'smtp inet n - n - - smtpd', '  -o a=b']))
        elif k < 0.2: out.append(R.choice(['', '  ']))
        else:
            n, t = R.choice(svcs).split('/')
            f = [n, t] + [R.choice(['-', 'n', 'y']) for _ in range(3)] + [R.choice(['-', '60', '1000?']), R.choice(['-', '0', '1'])]
            cmd = R.choice(['smtpd', 'smtp', 'pipe', 'local'])
            args = []
            for _ in range(R.randint(0, 3)):
                args.append(R.choice(['-o a=1', '-ob=2', '-o { c = 3 4 }', '-v', '-vo d=5', '-o e=$f', 'flags=R', '{ grp x }', 'argv=/bin/x ${user}']))
            line = R.choice(['  ', ' ', '\t']).join(f) + ' ' + cmd
            if args and R.random() < 0.5:
                out.append(line)
                for a in args: out.append(R.choice(['  ', '\t', '    ']) + a)
                if R.random() < 0.3: out.insert(len(out) - 1, '#comment in entry')
            else:
                out.append(' '.join([line] + args))
    s = '\n'.join(out)
    if out and R.random() < 0.85: s += '\n'
    return s
def margs():
    k = R.random()
    if k < 0.5:
        new_used = False; args = []
        for _ in range(R.randint(1, 3)):
            n = R.choice(names + ['new1', 'new2'])
            if n.startswith('new'):
                if new_used: continue
                new_used = True
            args.append(n + '=' + R.choice(['9', 'z z', '', ' sp ']))
        return ['-e'] + (args or ['a=1'])
    return [R.choice(['-X', '-#'])] + R.sample(names, R.randint(1, 2))
def sargs():
    s = R.choice(svcs + ['*/unix', 'smtp/*', 'nosuch/inet'])
    k = R.random()
    if k < 0.2: return ['-Me', s + '=' + R.choice(['x unix - n n - - pipe flags=R', s.replace('/', ' ').replace('*','q') + ' n - n - 1 smtpd -o z=1', 'smtp inet n - - - - smtpd'])]
    if k < 0.3: return [R.choice(['-MX', '-M#']), s]
    if k < 0.55: return ['-Fe', s + '/' + R.choice(['chroot=n', 'process_limit=7', 'command=smtpd -o q=1 x', 'service=renamed', 'wakeup=5?'])]
    if k < 0.8: return ['-Pe', s + '/' + R.choice(['a=99', 'newp=1', 'c=w'])]
    return ['-PX', s + '/' + R.choice(['a', 'b', 'c', 'e', 'nosuch'])]
def run(prog_path, d, args):
    p = subprocess.run(['postconf', '-c', d] + args, env={'PATH': prog_path, 'LC_ALL': 'C'}, capture_output=True)
    return p.returncode, p.stdout.replace(d.encode(), b'DIR'), p.stderr.replace(d.encode(), b'DIR')
bad = 0
for i in range(N):
    mc, ms = main_cf(), master_cf()
    args = margs() if R.random() < 0.5 else sargs()
    res = []
    for prog in ['/usr/sbin:/usr/bin:/bin', OURS + ':/usr/bin:/bin']:
        d = tempfile.mkdtemp(prefix='oracle-edit.')
        open(d + '/main.cf', 'w').write(mc); open(d + '/master.cf', 'w').write(ms)
        r = run(prog, d, args if prog.startswith('/usr/sbin') else ['--force'] + args)
        res.append(r + (open(d + '/main.cf', 'rb').read(), open(d + '/master.cf', 'rb').read()))
        shutil.rmtree(d)
    if res[0] != res[1]:
        o, u = res
        # the deliberate fix: a missing final newline
        if o[0] == u[0] and o[1:3] == u[1:3] and (o[3].replace(b'\n', b'') == u[3].replace(b'\n', b'') and o[4].replace(b'\n', b'') == u[4].replace(b'\n', b'')) and not (mc.endswith('\n') and ms.endswith('\n')):
            continue
        if o[:3] == u[:3] and o[4] == u[4] and sorted(o[3].split(b'\n')) == sorted(u[3].split(b'\n')):
            continue
        # both at once: same bytes apart from one added newline
        if o[:3] == u[:3] and o[4] == u[4] and not mc.endswith('\n') and \
                sorted(o[3]) == sorted(u[3].replace(b'\n', b'', 1)):
            continue
        bad += 1
        print('=== MISMATCH', args); print(repr(mc)); print(repr(ms))
        for k, name in enumerate(['rc', 'out', 'err', 'main', 'master']):
            if o[k] != u[k]: print(name, 'oracle:', repr(o[k])); print(name, 'ours:  ', repr(u[k]))
        if bad > 5: break
print('%d cases, %d mismatches' % (N, bad))
sys.exit(1 if bad else 0)
