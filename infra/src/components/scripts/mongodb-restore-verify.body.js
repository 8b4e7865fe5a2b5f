// mongosh, as root. Prepended by the infra program with the constants DATABASE, SCRATCH_DATABASE
// and CREATED_AT_FIELDS (collection -> the field holding each document's creation time).
// Environment: BACKUP_STARTED_AT (ISO 8601, the dump's start time).
//
// The live database keeps changing after the dump, so the counts are compared as of the dump: a
// restored collection must hold at least every live document created before the dump started
// (such a document existed for the whole dump). Documents created later may or may not be in the
// archive. A collection without a known creation field is reported, not judged.

const startedAt = new Date(process.env.BACKUP_STARTED_AT);
if (Number.isNaN(startedAt.getTime())) {
  print(`BACKUP_STARTED_AT is not a date: ${process.env.BACKUP_STARTED_AT}`);
  quit(2);
}
const live = db.getSiblingDB(DATABASE);
const restored = db.getSiblingDB(SCRATCH_DATABASE);
const problems = [];

for (const name of live.getCollectionNames().filter((n) => !n.startsWith('system.')).sort()) {
  const field = CREATED_AT_FIELDS[name];
  const restoredCount = restored.getCollection(name).countDocuments({});
  const liveCount = live.getCollection(name).countDocuments({});
  if (!field) {
    print(`${name}: restored ${restoredCount}, live ${liveCount} (no creation field: not judged)`);
    continue;
  }
  const expected = live.getCollection(name).countDocuments({ [field]: { $lte: startedAt } });
  print(`${name}: restored ${restoredCount}, live ${liveCount}, live created by ${startedAt.toISOString()} ${expected}`);
  if (restoredCount < expected) {
    problems.push(`${name}: restored ${restoredCount} < ${expected} live documents created before the backup`);
  }
}

if (problems.length > 0) {
  print(`restore check FAILED (${SCRATCH_DATABASE} kept for inspection):\n  ${problems.join('\n  ')}`);
  quit(1);
}
restored.dropDatabase();
print(`restore check passed; ${SCRATCH_DATABASE} dropped`);
