#!/usr/bin/env python3
"""oracle-diff.py - differential test of the main.cf/master.cf readers against Postfix 3.7.

Generates random main.cf or master.cf files, runs the real postconf on them and
tests/fuzz/oracle_dump (built by make check) and compares: values and diagnostics
for main.cf; -M, -P and diagnostics for master.cf.  Needs Postfix's postconf; it never
touches /etc/postfix (every run uses a scratch directory).

usage: tests/fuzz/oracle-diff.py main|master [SEED [COUNT]]   (from the build directory)
"""
import difflib
import os
import random
import shutil
import subprocess
import sys
import tempfile

DUMP = os.environ.get('ORACLE_DUMP', './tests/fuzz/oracle_dump')
# known parameters whose defaults do not depend on the host
POOL = ['mydomain', 'relayhost', 'alias_maps', 'smtpd_banner', 'recipient_delimiter',
        'header_checks', 'home_mailbox']
MAIN_TOKENS = POOL + ['x-y', 'junk', '=', ' = ', ' ', '\t', '\r', '#', 'val', 'a b', '{', '}',
                      '\xe9', '\x00', '==']
ARGS = ['-o', 'a=b', 'x=1', '{', '}', '{ a = b }', '{a b}', '-v', '-vo', '-D', '--', '-',
        '-oq=1', '-o{z=2}', 'arg', 'c{d e}f', '{}', '{x', 'y}', '=x', '-ooa', '-oxo', '{ = y }',
        '{x}', '{x=1}y', '"', 'p=$q']
MASTER_MINIMAL = 'smtp inet n - y - - smtpd\npickup unix n - y 60 1 pickup\n'


def rand_main(r):
    lines = []
    for _ in range(r.randint(1, 8)):
        k = r.random()
        if k < 0.15:
            lines.append(r.choice(['', ' ', '#c', '  # c', '\t']))
        elif k < 0.3:
            lines.append(r.choice([' ', '\t', '  ']) +
                         ''.join(r.choice(MAIN_TOKENS) for _ in range(r.randint(1, 4))))
        elif k < 0.8:
            lines.append(r.choice(POOL) + r.choice(['=', ' = ', '\t=', ' =', '= ']) +
                         ''.join(r.choice(MAIN_TOKENS) for _ in range(r.randint(0, 4))))
        else:
            lines.append(''.join(r.choice(MAIN_TOKENS) for _ in range(r.randint(1, 5))))
    return '\n'.join(lines) + r.choice(['\n', '', '\r\n'])


def rand_master(r):
    lines = []
    for _ in range(r.randint(1, 5)):
        k = r.random()
        if k < 0.1:
            lines.append(r.choice(['', '#c', '  # c']))
        elif k < 0.25:
            lines.append(r.choice([' ', '\t', '  ']) +
                         ' '.join(r.choice(ARGS) for _ in range(r.randint(1, 4))))
        else:
            f = [r.choice(['a', 'b', 'smtp', '{s t}', 'x']),
                 r.choice(['inet', 'unix', 'unix-dgram', 'pass', 'fifo'] * 5 + ['tcp', 'Inet']),
                 r.choice(['n', '-', 'y'] * 5 + ['x', 'yy']),
                 r.choice(['n', '-', 'y'] * 5 + ['Y']),
                 r.choice(['n', '-', 'y'] * 5 + ['']),
                 r.choice(['-', '0', '60', '1000?', '?', '-?', '10x', '--']),
                 r.choice(['-', '0', '100'] * 3 + ['1x', '']),
                 r.choice(['smtpd', 'pipe', '{smtpd x}', 'smtp'])]
            f = [x for x in f if x != '' or r.random() < 0.5]
            def sep():
                return r.choice([' ', '  ', '\t', ' \r '])
            line = sep().join(f)
            for _ in range(r.randint(0, 6)):
                line += sep() + r.choice(ARGS)
            lines.append(line)
    return '\n'.join(lines) + '\n'


def distinct(lines):
    seen = []
    for line in lines:
        if line not in seen:
            seen.append(line)
    return seen


def run(cmd):
    p = subprocess.run(cmd, capture_output=True)
    return p.returncode, p.stdout.decode('latin-1'), p.stderr.decode('latin-1')


def oracle_errs(err):
    # "unused/undefined parameter" and the value scan's "main.cf: missing '}'" come from
    # postconf's later passes, not from the readers
    return ['ERR ' + l for l in distinct(err.split('\n')) if l and 'unused parameter' not in l
            and 'undefined parameter' not in l and not l.startswith('postconf: warning: main.cf: ')]


def main():
    mode = sys.argv[1]
    r = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    if not shutil.which('postconf'):
        print('oracle-diff: Postfix postconf not installed, skipping')
        return 77
    d = tempfile.mkdtemp()
    defaults = dict(zip(POOL, run(['postconf', '-d', '-h'] + POOL)[1].split('\n')))
    bad = 0
    try:
        for i in range(count):
            text = rand_main(r) if mode == 'main' else rand_master(r)
            with open(os.path.join(d, 'main.cf'), 'wb') as f:
                f.write(text.encode('latin-1') if mode == 'main' else b'')
            with open(os.path.join(d, 'master.cf'), 'wb') as f:
                f.write((text if mode == 'master' else MASTER_MINIMAL).encode('latin-1'))
            path = os.path.join(d, mode + '.cf')
            if mode == 'main':
                rc, out, err = run(['postconf', '-c', d, '-h'] + POOL)
                want = oracle_errs(err)
                if rc == 0:
                    want += ['%s = %s' % nv for nv in zip(POOL, out.split('\n'))]
                grc, gout, _ = run([DUMP, 'main', path] + POOL)
                got = [l[:-len('DEFAULT')] + defaults[l.split(' = ')[0]]
                       if l.endswith(' = DEFAULT') else l for l in gout.split('\n')[:-1]]
            else:
                rc, out, err = run(['postconf', '-c', d, '-M'])
                want = oracle_errs(err)
                if rc == 0:
                    want += out.split('\n')[:-1] + ['-P'] + run(['postconf', '-c', d, '-P'])[1].split('\n')[:-1]
                grc, gout, _ = run([DUMP, 'master', path])
                got = gout.split('\n')[:-1]
                got = distinct([l for l in got if l.startswith('ERR ')]) + \
                    [l for l in got if not l.startswith('ERR ')]
                if rc == 0 and got != want:
                    # postconf shares one -P table between entries with the same service/type
                    keys = [tuple(l.split()[:2]) for l in out.split('\n') if l]
                    if len(set(keys)) != len(keys) and got[:got.index('-P')] == want[:want.index('-P')]:
                        got = want
            if got != want or (grc != 0) != (rc != 0):
                bad += 1
                if bad <= 5:
                    print('=== mismatch, case %d: %r' % (i, text))
                    for l in difflib.unified_diff(want, got, 'postfix', 'ours', lineterm=''):
                        print(repr(l))
    finally:
        shutil.rmtree(d)
    print('oracle-diff %s: %d cases, %d mismatches' % (mode, count, bad))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
