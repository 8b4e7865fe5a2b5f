/** `listDocumentFiles`: what a folder submits and what it says it skipped. */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listDocumentFiles } from '../../app/src/pipeline/ingest.js';

describe('listDocumentFiles', () => {
  it('submits *.json files sorted by name and lists sub-folders and other files as skipped', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'listing-'));
    await writeFile(path.join(dir, 'b.json'), '{}');
    await writeFile(path.join(dir, 'A.JSON'), '{}');
    await writeFile(path.join(dir, 'notes.txt'), '');
    await mkdir(path.join(dir, 'nested'));
    await mkdir(path.join(dir, 'folder.json'));
    const listing = await listDocumentFiles(dir);
    expect(listing.files.map((f) => path.basename(f))).toEqual(['A.JSON', 'b.json']);
    expect(listing.skipped.map((f) => path.basename(f)).sort()).toEqual(['folder.json', 'nested', 'notes.txt']);
  });

  it('takes a single file as it is, and throws for a path that does not exist', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'listing-'));
    const file = path.join(dir, 'doc.txt');
    await writeFile(file, '{}');
    expect(await listDocumentFiles(file)).toEqual({ files: [file], skipped: [] });
    await expect(listDocumentFiles(path.join(dir, 'missing'))).rejects.toThrow(/ENOENT/);
  });
});
