#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
Check Documentation/netlink/specs/dyncast.yaml against uapi/linux/dyncast.h.

Every C name the YNL code generator (tools/net/ynl/ynl-gen-c.py) would
derive from the spec must be in the header with the same value, in the same
order, and the header must hold nothing the spec lacks.  The types noted in
the header's comments (u8, be16, binary[16], ...) must match the spec's, and
the spec must hang together: references resolve, notifications reuse their
command's value, mutating operations need CAP_NET_ADMIN.  The module's
attribute policies (kmod/netlink.c) must enforce what the spec says: every
attribute has one, read-only ones are rejected, lengths and ranges match.

Linux 6.1 ships no netlink spec schema (Documentation/netlink/genetlink.yaml
came with 6.2); the spec is validated against the schema its protocol names
(genetlink-legacy: the one that has uns-admin-perm) as Linux 6.12 has it,
extracted by scripts/ynl.sh into build/ynl, or YNL_SCHEMA=path, with
python3-jsonschema.  DYNCAST_SPEC and DYNCAST_HEADER override the files
checked.

Exit status: 0 when everything matches, 1 otherwise.
"""

import os
import re
import sys

try:
    import yaml
except ImportError:
    print('test_ynl_spec: FAIL: python3-yaml (PyYAML) is needed')
    sys.exit(1)

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, '..', '..'))
SPEC = os.environ.get('DYNCAST_SPEC', os.path.join(
    TOP, 'Documentation', 'netlink', 'specs', 'dyncast.yaml'))
HEADER = os.environ.get('DYNCAST_HEADER', os.path.join(
    TOP, 'uapi', 'linux', 'dyncast.h'))
KMOD = os.environ.get('DYNCAST_KMOD', os.path.join(TOP, 'kmod'))
YNL_DIR = os.environ.get('DYNCAST_YNL', os.path.join(TOP, 'build', 'ynl'))

LICENSE = '((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)'

errors = []


def error(msg):
    errors.append(msg)


def c_upper(name):
    return name.upper().replace('-', '_')


def c_lower(name):
    return name.lower().replace('-', '_')


# --- the header -------------------------------------------------------------

def strip_comments(text):
    return re.sub(r'/\*.*?\*/', ' ', text, flags=re.S)


def eval_c(expr, known):
    """Value of an enum initialiser: a number, a name, (NAME - 1) and the like."""
    expr = expr.strip()
    tokens = re.findall(r'[A-Za-z_][A-Za-z0-9_]*|0[xX][0-9a-fA-F]+|\d+|[-+()*]',
                        expr)
    py = []
    for tok in tokens:
        if re.match(r'[A-Za-z_]', tok):
            if tok not in known:
                raise ValueError(f'unknown name {tok} in "{expr}"')
            py.append(str(known[tok]))
        else:
            py.append(tok)
    return eval(' '.join(py), {'__builtins__': {}})


def parse_header(path):
    """Returns (enums, defines, comments).

    enums: C enum name -> list of (entry, value) in order
    defines: macro -> value (int or str) for macros with a value
    comments: entry -> text of the comment following it on its line(s)
    """
    raw = open(path).read()
    text = strip_comments(raw)
    enums = {}
    known = {}
    for m in re.finditer(r'enum\s+(\w+)\s*\{(.*?)\}\s*;', text, re.S):
        entries = []
        val = 0
        for item in m.group(2).split(','):
            item = item.strip()
            if not item:
                continue
            if '=' in item:
                name, expr = item.split('=', 1)
                name = name.strip()
                val = eval_c(expr, known)
            else:
                name = item
            entries.append((name, val))
            known[name] = val
            val += 1
        enums[m.group(1)] = entries

    defines = {}
    for m in re.finditer(r'^#define\s+(\w+)[ \t]+([^\n]*)$', raw, re.M):
        body = strip_comments(m.group(2)).strip()
        if not body:
            continue
        if body.startswith('"'):
            defines[m.group(1)] = body.strip('"')
        else:
            defines[m.group(1)] = eval_c(body, {**known, **defines})

    # Comment after an enum entry: from the entry's comma to the next entry.
    comments = {}
    for m in re.finditer(r'^\s*(DYNCAST_\w+),?[ \t]*(/\*.*?\*/)?', raw,
                         re.M | re.S):
        if m.group(2):
            comments[m.group(1)] = ' '.join(m.group(2)[2:-2].replace(
                '*', ' ').split())
    return enums, defines, comments


# --- what ynl-gen-c derives from the spec -----------------------------------

def expected_from_spec(spec):
    fam = spec['name']
    enums = {}
    defines = {}

    defines[c_upper(spec.get('c-family-name', fam + '-family-name'))] = fam
    defines[c_upper(spec.get('c-version-name', fam + '-family-version'))] = \
        spec.get('version', 1)

    for d in spec.get('definitions', []):
        if d.get('header'):
            continue
        if d['type'] == 'const':
            pfx = d.get('name-prefix', fam + '-')
            defines[c_upper(pfx + d['name'])] = d['value']
            continue
        if d['type'] != 'enum':
            error(f"definition {d['name']}: type {d['type']} not handled")
            continue
        pfx = d.get('name-prefix', f"{fam}-{d['name']}-")
        ename = c_lower(d.get('enum-name') or f"{fam}-{d['name']}")
        entries = []
        val = d.get('value-start', 0)
        for e in d['entries']:
            e = {'name': e} if isinstance(e, str) else e
            val = e.get('value', val)
            entries.append((c_upper(pfx + e['name']), val))
            val += 1
        if d.get('render-max'):
            cnt = c_upper('__' + pfx + 'max')
            entries.append((cnt, val))
            entries.append((c_upper(pfx + 'max'), val - 1))
        enums[ename] = entries

    for s in spec['attribute-sets']:
        if 'subset-of' in s:
            continue
        if 'name-prefix' in s:
            pfx = s['name-prefix']
        elif s['name'] == fam:
            pfx = fam + '-a-'
        else:
            pfx = f"{fam}-a-{s['name']}-"
        if not s.get('enum-name'):
            error(f"attribute-set {s['name']}: no enum-name, ynl would "
                  f"render an anonymous enum")
            continue
        entries = []
        val = 1
        for a in s['attributes']:
            val = a.get('value', val)
            entries.append((c_upper(pfx + a['name']), val))
            val += 1
        entries.append((c_upper('__' + pfx + 'max'), val))
        entries.append((c_upper(pfx + 'max'), val - 1))
        enums[c_lower(s['enum-name'])] = entries

    ops = spec['operations']
    opfx = ops.get('name-prefix', fam + '-cmd-')
    if not ops.get('enum-name'):
        error('operations: no enum-name')
    else:
        entries = []
        val = 1
        for op in ops['list']:
            val = op.get('value', val)
            if 'notify' not in op and 'event' not in op:
                entries.append((c_upper(opfx + op['name']), val))
            val += 1
        last = entries[-1][1] + 1
        entries.append((c_upper('__' + opfx + 'max'), last))
        entries.append((c_upper(opfx + 'max'), last - 1))
        enums[c_lower(ops['enum-name'])] = entries

    for g in spec.get('mcast-groups', {}).get('list', []):
        defines[c_upper(g.get('c-define-name',
                              f"{fam}-mcgrp-{g['name']}"))] = g['name']
    return enums, defines


# --- checks -----------------------------------------------------------------

def compare(spec_enums, spec_defines, h_enums, h_defines):
    for ename, entries in spec_enums.items():
        if ename not in h_enums:
            error(f'enum {ename}: in the spec, not in the header')
            continue
        if entries != h_enums[ename]:
            error(f'enum {ename} differs:\n  spec:   {entries}\n'
                  f'  header: {h_enums[ename]}')
    for ename in h_enums:
        if ename not in spec_enums:
            error(f'enum {ename}: in the header, not in the spec')
    for name, val in spec_defines.items():
        if name not in h_defines:
            error(f'#define {name}: in the spec, not in the header')
        elif h_defines[name] != val:
            error(f'#define {name}: spec {val!r}, header {h_defines[name]!r}')
    for name in h_defines:
        if name not in spec_defines:
            error(f'#define {name}: in the header, not in the spec')


TYPE_NOTE = re.compile(r"^(be16|be32|u8|u16|u32|u64|s8|s16|s32|s64|binary\[(\d+)\]|nest|flag)(?!\w)")


def check_types(spec, comments):
    """Attribute types against the notes in the header's comments."""
    fam = spec['name']
    for s in spec['attribute-sets']:
        pfx = fam + '-a-' if s['name'] == fam else f"{fam}-a-{s['name']}-"
        for a in s['attributes']:
            cname = c_upper(pfx + a['name'])
            note = comments.get(cname)
            t = a['type']
            if t in ('unused', 'pad'):
                if note:
                    error(f'{cname}: {t} in the spec but documented "{note}"')
                continue
            m = TYPE_NOTE.match(note or '')
            if not m:
                error(f'{cname}: no type noted in the header')
                continue
            kind = m.group(1)
            be = a.get('byte-order') == 'big-endian'
            if kind.startswith('be'):
                ok = t == 'u' + kind[2:] and be
            elif kind.startswith('binary'):
                ok = (t == 'binary' and not be and
                      a.get('checks', {}).get('exact-len') == int(m.group(2)))
            else:
                ok = t == kind and not be
            if not ok:
                error(f'{cname}: spec type {t}'
                      f'{" big-endian" if be else ""}'
                      f'{a.get("checks", "")}, header "{note}"')
            if t in ('u32', 'binary') and 'display-hint' not in a and \
                    re.search(r'addr|src[46]|bid[46]|router[46]', a['name']):
                error(f'{cname}: address without display-hint')
            if a.get('display-hint') in ('ipv4', 'ipv6') and \
                    a['display-hint'] != ('ipv4' if t == 'u32' else 'ipv6'):
                error(f'{cname}: display-hint {a["display-hint"]} on {t}')
            if 'several times' in (note or '') and not a.get('multi-attr'):
                error(f'{cname}: may repeat, but not multi-attr in the spec')


def check_limits(spec, h_defines):
    """Range checks that the header states as limits."""
    fam = spec['name']
    want = {
        ('instance', 'weight'): (None, h_defines['DYNCAST_WEIGHT_MAX']),
        ('instance', 'cpu'): (None, h_defines['DYNCAST_LOAD_MAX']),
        ('instance', 'gpu'): (None, h_defines['DYNCAST_LOAD_MAX']),
        ('service', 'timeout'): (1, h_defines['DYNCAST_TIMEOUT_MAX']),
        ('service', 'src-prefix'): (None, 128),
        ('service', 'proto'): (6, 17),
    }
    sets = {s['name']: s for s in spec['attribute-sets']}
    for (sname, aname), (lo, hi) in want.items():
        attr = next((a for a in sets[sname]['attributes']
                     if a['name'] == aname), None)
        if attr is None:
            error(f'{fam}/{sname}/{aname}: missing')
            continue
        checks = attr.get('checks', {})
        if checks.get('min') != lo or checks.get('max') != hi:
            error(f'{fam}/{sname}/{aname}: checks {checks}, want min {lo} '
                  f'max {hi}')


def parse_policies(h_defines):
    """The policy tables of kmod/netlink.c: {set: {ATTR: policy text}}."""
    with open(os.path.join(KMOD, 'netlink.c')) as f:
        text = strip_comments(f.read())
    known = dict(h_defines, USEC_PER_SEC=1000000)
    for name in sorted(os.listdir(KMOD)):
        if name.endswith('.h') or name == 'netlink.c':
            with open(os.path.join(KMOD, name)) as f:
                for m in re.finditer(r'#define[ \t]+(DC_\w+)[ \t]+([^\n]+)',
                                     strip_comments(f.read())):
                    try:
                        known[m.group(1)] = eval_c(m.group(2), known)
                    except (ValueError, SyntaxError, TypeError):
                        pass
    known['sizeof(struct in6_addr)'] = 16
    ranges = {}
    for m in re.finditer(r'netlink_range_validation(?:_signed)?\s+(\w+)\s*=\s*\{(.*?)\};',
                         text, re.S):
        r = {}
        for k, sign, v in re.findall(r'\.(min|max)\s*=\s*(-?)\s*(\w+)',
                                     m.group(2)):
            r[k] = int(v) if v.isdigit() else known[v]
            if sign:
                r[k] = -r[k]
        ranges[m.group(1)] = r
    tables = {}
    for m in re.finditer(r'nla_policy\s+dc_(\w+)_policy\[[^]]*\]\s*=\s*\{(.*?)\n\};',
                         text, re.S):
        entries = {}
        for e in re.finditer(r'\[(DYNCAST_A_\w+)\]\s*=\s*(.*?)(?=,\s*\n\s*\[|,?\s*$)',
                             m.group(2), re.S):
            entries[e.group(1)] = ' '.join(e.group(2).split())
        tables[m.group(1)] = entries
    return tables, ranges, known


def policy_limits(pol, ranges, known):
    """(min, max, exact_len) that a policy enforces."""
    def val(x):
        x = x.strip()
        if x in known:
            return known[x]
        return int(x)
    m = re.match(r'NLA_POLICY_EXACT_LEN\((.*)\)$', pol)
    if m:
        return None, None, val(m.group(1))
    m = re.match(r'NLA_POLICY_MAX\(\w+, (.*)\)$', pol)
    if m:
        return None, val(m.group(1)), None
    m = re.match(r'NLA_POLICY_RANGE\(\w+, (\w+), (\w+)\)$', pol)
    if m:
        return val(m.group(1)), val(m.group(2)), None
    m = re.match(r'NLA_POLICY_FULL_RANGE(?:_SIGNED)?\(\w+, &(\w+)\)$', pol)
    if m:
        r = ranges[m.group(1)]
        return r.get('min'), r.get('max'), None
    return None, None, None


def spec_consts(spec):
    """The spec's constants by name: a check may name one."""
    return {d['name']: d['value'] for d in spec.get('definitions', [])
            if d.get('type') == 'const'}


def limit(v, consts):
    return consts.get(v, v) if isinstance(v, str) else v


def check_policies(spec, h_defines):
    consts = spec_consts(spec)
    tables, ranges, known = parse_policies(h_defines)
    known.update({'IPPROTO_TCP': 6, 'IPPROTO_UDP': 17})
    fam = spec['name']
    for aset in spec['attribute-sets']:
        sname = aset['name']
        if sname not in ('service', 'instance', 'binding'):
            continue
        table = tables.get(sname)
        if table is None:
            error(f'kmod: no policy table dc_{sname}_policy')
            continue
        for attr in aset['attributes']:
            name = attr['name']
            if name in ('unspec', 'pad'):
                continue
            cname = f'DYNCAST_A_{c_upper(sname)}_{c_upper(name)}'
            pol = table.get(cname)
            where = f'{fam}/{sname}/{name}'
            if pol is None:
                error(f'{where}: no policy in kmod/netlink.c')
                continue
            doc = attr.get('doc', '').lower()
            ro = 'read-only' in doc and 'write-only' not in doc
            if ro and 'NLA_REJECT' not in pol and \
                    not (attr['type'] == 'nest' and 'NLA_NESTED' in pol):
                error(f'{where}: read-only, but the policy is {pol}')
            if not ro and 'NLA_REJECT' in pol:
                error(f'{where}: the policy rejects it, the spec does not say read-only')
            if ro:
                continue
            if 'enum' in attr:
                if not pol.startswith('NLA_POLICY_MAX('):
                    error(f'{where}: enum {attr["enum"]}, but the policy is {pol}')
                continue
            checks = attr.get('checks', {})
            try:
                lo, hi, exact = policy_limits(pol, ranges, known)
            except (KeyError, ValueError) as e:
                error(f'{where}: cannot read the policy {pol}: {e}')
                continue
            if checks.get('exact-len') != exact:
                error(f'{where}: spec exact-len {checks.get("exact-len")}, policy {exact}')
            smin = limit(checks.get('min'), consts)
            smax = limit(checks.get('max'), consts)
            if (smin, smax) != (lo, hi) and not (smin is None and lo == 0):
                error(f'{where}: spec min/max {checks.get("min")}/{checks.get("max")}, '
                      f'policy {lo}/{hi}')


def check_consistency(spec):
    sets = {s['name']: s for s in spec['attribute-sets']}
    consts = {d['name']: d for d in spec.get('definitions', [])}
    groups = {g['name'] for g in spec.get('mcast-groups', {}).get('list', [])}

    for s in spec['attribute-sets']:
        for a in s['attributes']:
            where = f"{s['name']}/{a['name']}"
            if a['type'] == 'nest' and a.get('nested-attributes') not in sets:
                error(f'{where}: nest of unknown set')
            if 'enum' in a and a['enum'] not in consts:
                error(f'{where}: unknown enum {a["enum"]}')
            if a['type'] == 'u64' and not any(x['type'] == 'pad'
                                              for x in s['attributes']):
                error(f'{where}: u64 in a set without pad')

    ops = spec['operations']['list']
    by_name = {}
    val = 1
    for op in ops:
        val = op.get('value', val)
        by_name[op['name']] = (op, val)
        val += 1

    for op in ops:
        name = op['name']
        if 'notify' in op or 'event' in op:
            target = op.get('notify')
            if target not in by_name or 'do' not in by_name[target][0]:
                error(f'{name}: notifies with unknown command {target}')
            if op.get('mcgrp') not in groups:
                error(f'{name}: unknown multicast group {op.get("mcgrp")}')
            cmd = name[:-len('-ntf')] if name.endswith('-ntf') else None
            if cmd not in by_name or \
                    by_name[cmd][1] != by_name[name][1] or \
                    'notify' in by_name[cmd][0]:
                error(f'{name}: value {by_name[name][1]} is not that of a '
                      f'command {cmd}')
            continue
        aset = op.get('attribute-set')
        if aset is None:
            if 'do' in op or 'dump' in op:
                error(f'{name}: no attribute-set')
            continue
        for mode in ('do', 'dump'):
            for part in ('request', 'reply'):
                for a in op.get(mode, {}).get(part, {}).get('attributes', []):
                    if not any(x['name'] == a for x in sets[aset]['attributes']):
                        error(f'{name} {mode} {part}: unknown attribute {a}')
        mutating = re.search(r'-(new|set|del|flush)$', name)
        admin = 'uns-admin-perm' in op.get('flags', [])
        if (mutating or name == 'binding-get') and not admin:
            error(f'{name}: lacks uns-admin-perm')
        if not mutating and name != 'binding-get' and admin:
            error(f'{name}: uns-admin-perm on a read-only operation')

    want_ntf = {'service-new', 'service-set', 'service-del',
                'instance-new', 'instance-set', 'instance-del'}
    have_ntf = {op['name'][:-4] for op in ops if 'notify' in op}
    if want_ntf != have_ntf:
        error(f'notifications: {sorted(have_ntf)}, want {sorted(want_ntf)}')


def check_schema(spec):
    """Validate against the schema the spec names in its protocol.

    YNL_SCHEMA names the schema file; otherwise it is looked for in the
    schemas scripts/ynl.sh extracts from linux-source-6.12 (build/ynl),
    as "make check" does before the unit tests.
    """
    name = spec.get('protocol', 'genetlink') + '.yaml'
    path = os.environ.get('YNL_SCHEMA') or os.path.join(
        YNL_DIR, 'Documentation', 'netlink', name)
    if not os.path.exists(path):
        print(f'test_ynl_spec: no schema {path} (Linux 6.1 has none: '
              'scripts/ynl.sh build/ynl extracts those of 6.12), '
              'schema validation skipped')
        return
    try:
        import jsonschema
    except ImportError:
        error('a schema but no python3-jsonschema')
        return
    with open(path) as f:
        schema = yaml.safe_load(f)
    try:
        jsonschema.validate(spec, schema)
        print(f'test_ynl_spec: valid against {path}')
    except jsonschema.ValidationError as e:
        error(f'schema {path}: {e.message} at '
              f'{"/".join(str(p) for p in e.absolute_path)}')


def main():
    with open(SPEC) as f:
        first = f.readline().strip()
    if first != '# SPDX-License-Identifier: ' + LICENSE:
        error(f'spec: first line must be the SPDX tag {LICENSE}')
    with open(SPEC) as f:
        spec = yaml.safe_load(f)
    # uns-admin-perm (CAP_NET_ADMIN in the netns's user namespace) is in
    # the genetlink-legacy schema only
    if spec.get('protocol') != 'genetlink-legacy':
        error(f'protocol {spec.get("protocol")}, want genetlink-legacy')

    h_enums, h_defines, comments = parse_header(HEADER)
    s_enums, s_defines = expected_from_spec(spec)
    compare(s_enums, s_defines, h_enums, h_defines)
    check_types(spec, comments)
    check_limits(spec, h_defines)
    check_policies(spec, h_defines)
    check_consistency(spec)
    check_schema(spec)

    for e in errors:
        print('test_ynl_spec: ' + e)
    if errors:
        print(f'test_ynl_spec: FAIL ({len(errors)} problems)')
        return 1
    n = sum(len(v) for v in s_enums.values())
    print(f'test_ynl_spec: PASS ({len(s_enums)} enums, {n} entries, '
          f'{len(s_defines)} defines match)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
