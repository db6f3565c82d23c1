#!/usr/bin/env bash
# Every SQLSTATE pgcrm raises is in the manual, docs/errors.md: codes the SQL
# names (ERRCODE = 'PC003' or a condition name), the glue's ERRCODE_* and the
# core's sqlstate list (src/core/error.hpp), whose PC codes must be listed
# there under their own names.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
errcodes="$("${PG_CONFIG:-$(command -v /usr/lib/postgresql/15/bin/pg_config || command -v pg_config)}" --sharedir)/errcodes.txt"
/usr/bin/python3 - "$errcodes" <<'PY'
import glob, re, sys
by_name, by_macro = {}, {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) >= 3 and re.fullmatch(r'[0-9A-Z]{5}', f[0]):
        by_macro[f[2]] = f[0]
        if len(f) >= 4:
            by_name.setdefault(f[3], f[0])  # PL/pgSQL takes the first code of a name
used = {}
def use(code, where):
    used.setdefault(code, where)
for p in sorted(glob.glob('sql/**/*.sql', recursive=True)):
    for m in re.finditer(r"ERRCODE\s*=\s*'(\w+)'", open(p).read()):
        use(m.group(1) if re.fullmatch(r'[0-9A-Z]{5}', m.group(1)) else by_name.get(m.group(1), '?' + m.group(1)), p)
core = dict(re.findall(r'inline constexpr const char\* (\w+) = "([0-9A-Z]{5})";', open('src/core/error.hpp').read()))
for p in sorted(glob.glob('src/**/*.[ch]pp', recursive=True)):
    text = open(p).read()
    for m in re.finditer(r'\b(ERRCODE_[A-Z_]+)\b', text):
        if m.group(1) in by_macro: use(by_macro[m.group(1)], p)
    for m in re.finditer(r'sqlstate::(\w+)', text):
        use(core[m.group(1)], p)
manual = open('docs/errors.md').read()
listed = set(re.findall(r'`([0-9A-Z]{5})`', manual))
problems = [f'{c} (raised in {w}) is not in docs/errors.md' for c, w in sorted(used.items()) if c not in listed]
problems += [f'{c}: condition name unknown to PostgreSQL ({w})' for c, w in used.items() if c.startswith('?')]
letters = lambda t: re.sub(r'[^a-z]', '', t.lower())
names = {c: letters(n) for c, n in re.findall(r'^\| `(PC\d{3})` \| ([^|]+) \|', manual, re.M)}
for name, code in core.items():
    if code.startswith('PC') and names.get(code) != letters(name):
        problems.append(f'{code} is not listed in docs/errors.md as "{name.replace("_", " ")}"')
if problems:
    print('not ok - every SQLSTATE pgcrm raises is in the manual:')
    for p in problems: print('    ' + p)
    print('0 passed, 1 failed'); sys.exit(1)
print(f'ok - every SQLSTATE pgcrm raises ({len(used)} codes) is in docs/errors.md, pgcrm\'s own under their names')
print('1 passed, 0 failed')
PY
