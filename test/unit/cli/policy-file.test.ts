/**
 * Policy files of `gate policies apply -f`: JSON and YAML, one document, an array, several YAML
 * documents; every failure is one line naming the file and, where known, line and column.
 */
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError } from '../../../cli/cli-errors';
import { parsePolicyText, policyFileFormat, policyYaml, readPolicyFile } from '../../../cli/services/policy-file';

const doc = { name: 'ops-shell', kind: 'target_access', subjects: { groups: ['ops'] }, environments: ['prod'], actions: ['shell'], targetUsers: ['{username}'] };

function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CliError);
    return (e as Error).message;
  }
  throw new Error('did not throw');
}

describe('policy files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'policy-file-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('knows the format by extension', () => {
    expect(policyFileFormat('a.json')).toBe('json');
    expect(policyFileFormat('dir.x/a.YAML')).toBe('yaml');
    expect(policyFileFormat('a.yml')).toBe('yaml');
    expect(policyFileFormat('a.txt')).toBeNull();
    expect(policyFileFormat('json')).toBeNull();
  });

  it('reads one JSON document or an array, as written', () => {
    expect(parsePolicyText(JSON.stringify(doc), 'json', 'f.json')).toEqual([doc]);
    expect(parsePolicyText(`\uFEFF${JSON.stringify([doc, { ...doc, name: 'b' }])}`, 'json', 'f.json')).toEqual([doc, { ...doc, name: 'b' }]);
  });

  it('reads YAML: a list, a mapping, several documents; yes/no and dates stay strings', () => {
    const yaml = `- name: ops-shell\n  kind: target_access\n  subjects: {groups: [ops]}\n  environments: [prod]\n  actions: [shell]\n  targetUsers: ["{username}"]\n`;
    expect(parsePolicyText(yaml, 'yaml', 'f.yaml')).toEqual([doc]);
    const multi = `name: a\nkind: x\nwhen: 2024-05-01\nflag: no\n---\n- name: b\n- name: c\n---\n`;
    expect(parsePolicyText(multi, 'yaml', 'f.yaml')).toEqual([{ name: 'a', kind: 'x', when: '2024-05-01', flag: 'no' }, { name: 'b' }, { name: 'c' }]);
    // What show prints, apply reads back.
    expect(parsePolicyText(policyYaml(doc), 'yaml', 'f.yaml')).toEqual([doc]);
  });

  it('reports a YAML syntax error with its line, in one line', () => {
    const msg = failure(() => parsePolicyText('name: a\n  kind: [target_access\n', 'yaml', 'bad.yaml'));
    expect(msg).toMatch(/^bad\.yaml: YAML syntax error: .* at line \d+, column \d+$/);
    expect(msg).not.toContain('\n');
    expect(failure(() => parsePolicyText('name: a\nname: b\n', 'yaml', 'dup.yaml'))).toMatch(/^dup\.yaml: YAML syntax error: Map keys must be unique/);
  });

  it('reports bad JSON with line and column', () => {
    expect(failure(() => parsePolicyText('[\n  {"name": "a",}\n]', 'json', 'bad.json'))).toMatch(/^bad\.json: not valid JSON: .* at line 2, column \d+$/);
    expect(failure(() => parsePolicyText('', 'json', 'empty.json'))).toBe('empty.json: not valid JSON: Unexpected end of JSON input');
  });

  it('refuses what is not documents, and empty files', () => {
    expect(failure(() => parsePolicyText('[]', 'json', 'f.json'))).toBe('f.json: no policy documents in it');
    expect(failure(() => parsePolicyText('', 'yaml', 'f.yaml'))).toBe('f.yaml: no policy documents in it');
    expect(failure(() => parsePolicyText('[{"name": "a"}, 3]', 'json', 'f.json'))).toMatch(/^f\.json: \[1\] is not a policy document/);
    expect(failure(() => parsePolicyText('just a string', 'yaml', 'f.yaml'))).toMatch(/^f\.yaml: \[0\] is not a policy document/);
  });

  it('bounds aliases so a small file cannot expand into a huge one', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    expect(failure(() => parsePolicyText(lines.join('\n'), 'yaml', 'bomb.yaml'))).toMatch(/^bomb\.yaml: .*alias/i);
  });

  it('reads files and says plainly why one cannot be read', async () => {
    const f = join(dir, 'p.yml');
    await writeFile(f, 'name: a\nkind: proxy\n');
    expect(await readPolicyFile(f)).toEqual([{ name: 'a', kind: 'proxy' }]);
    await expect(readPolicyFile(join(dir, 'missing.json'))).rejects.toThrow(`cannot read ${join(dir, 'missing.json')}: no such file`);
    await mkdir(join(dir, 'd.json'));
    await expect(readPolicyFile(join(dir, 'd.json'))).rejects.toThrow('it is a directory');
    await writeFile(join(dir, 'big.json'), Buffer.alloc(1024 * 1024 + 1, 0x20));
    await expect(readPolicyFile(join(dir, 'big.json'))).rejects.toThrow(/larger than 1024 KiB/);
  });
});
