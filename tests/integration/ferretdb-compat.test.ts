/**
 * What FerretDB v1.24.2 on SQLite (our local/test MongoDB, tools/ferretdb) does with the
 * operations the app uses. Supported behaviour is asserted as MongoDB defines it; each gap is
 * asserted as FerretDB behaves today, with the exact message, and listed in docs/ferretdb-gaps.md.
 * When FerretDB changes, a test here fails and the doc must be updated with it.
 */
import { describe, expect, it } from 'vitest';
import {
  MongoBulkWriteError,
  MongoClient,
  MongoNetworkError,
  MongoServerError,
  type Collection,
  type Document,
  type IndexDescription,
} from 'mongodb';
import { services, uniqueName, useTestDatabase } from '../support/services.js';

const testDb = useTestDatabase();

/** The error a promise rejects with (fails the test if it resolves). */
async function errorOf(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(Error);
  return outcome.error as Error;
}

/** A MongoServerError carrying FerretDB's NotImplemented code (238) and this message. */
async function expectNotImplemented(promise: Promise<unknown>, message: string): Promise<void> {
  const err = await errorOf(promise);
  expect(err).toBeInstanceOf(MongoServerError);
  expect({ code: (err as MongoServerError).code, codeName: (err as MongoServerError).codeName, message: err.message }).toEqual({
    code: 238,
    codeName: 'NotImplemented',
    message,
  });
}

/** `[index, code]` of each write error of a bulk failure. */
function writeErrorsOf(err: MongoBulkWriteError): Array<[number, number]> {
  return [err.writeErrors].flat().map((w) => [w.index, w.code]);
}

function collection<T extends Document = Document>(): Collection<T> {
  return testDb.db.collection<T>(uniqueName('c'));
}

interface TrackedDocument {
  docId: string;
  status?: string;
  createdAt?: number;
  fields?: { vendor?: { value: string } };
  cost?: { usd: number };
  history?: Array<{ at: number }>;
}

async function seedGroups(): Promise<Collection> {
  const c = collection();
  await c.insertMany([
    { g: 'x', v: 1, w: 5, tags: ['p', 'q'] },
    { g: 'x', v: 3, w: 6, tags: ['q'] },
    { g: 'y', v: 10, w: 7, tags: [] },
  ]);
  return c;
}

describe('indexes', () => {
  it('creates single-field, unique, compound and compound unique indexes, and re-creates one idempotently', async () => {
    const c = collection();
    expect(await c.createIndex({ status: 1 })).toBe('status_1');
    expect(await c.createIndex({ docId: 1 }, { unique: true })).toBe('docId_1');
    expect(await c.createIndex({ status: 1, updatedAt: -1 })).toBe('status_1_updatedAt_-1');
    expect(await c.createIndex({ docId: 1, agent: 1 }, { unique: true })).toBe('docId_1_agent_1');
    expect(await c.createIndex({ docId: 1 }, { unique: true })).toBe('docId_1');
    expect(await c.createIndexes([{ key: { docId: 1 }, unique: true }])).toEqual(['docId_1']);
    // One existing spec plus one new one is fine too.
    expect(await c.createIndexes([{ key: { status: 1 } }, { key: { agent: 1 } }])).toEqual(['status_1', 'agent_1']);
    const indexes = await c.listIndexes().toArray();
    expect(indexes.map((i) => [i['name'], i['unique'] ?? false]).sort()).toEqual([
      ['_id_', false],
      ['agent_1', false],
      ['docId_1', true],
      ['docId_1_agent_1', true],
      ['status_1', false],
      ['status_1_updatedAt_-1', false],
    ]);
  });

  it('GAP: createIndexes with two or more specs that all exist already kills the connection (server panic)', async () => {
    const c = collection();
    const specs: IndexDescription[] = [{ key: { a: 1 } }, { key: { b: 1 }, unique: true }];
    expect(await c.createIndexes(specs)).toEqual(['a_1', 'b_1']);
    const err = await errorOf(c.createIndexes(specs));
    expect(err).toBeInstanceOf(MongoNetworkError);
    expect(err.message).toMatch(/^connection \d+ to 127\.0\.0\.1:\d+ closed$/);
    // The driver reconnects; the indexes are intact.
    expect((await c.listIndexes().toArray()).map((i) => i['name']).sort()).toEqual(['_id_', 'a_1', 'b_1']);
  });

  it('GAP: re-creating an index with the same key but other options succeeds silently and keeps the old one', async () => {
    const c = collection();
    await c.createIndex({ a: 1 });
    // MongoDB answers IndexKeySpecsConflict (86) here.
    expect(await c.createIndex({ a: 1 }, { unique: true })).toBe('a_1');
    const index = (await c.listIndexes().toArray()).find((i) => i['name'] === 'a_1');
    expect(index?.['unique']).toBeUndefined();
  });

  it('GAP: a unique index over existing duplicates fails with InternalError (1), not DuplicateKey (11000)', async () => {
    const c = collection();
    await c.insertMany([{ k: 1 }, { k: 1 }]);
    const err = (await errorOf(c.createIndex({ k: 1 }, { unique: true }))) as MongoServerError;
    expect([err.code, err.codeName]).toEqual([1, 'InternalError']);
    expect(err.message).toMatch(/UNIQUE constraint failed/);
  });

  it('GAP: partial, TTL and text indexes are not supported', async () => {
    const c = collection();
    await expectNotImplemented(
      c.createIndex({ p: 1 }, { partialFilterExpression: { p: { $exists: true } } }),
      'Index option "partialFilterExpression" is not implemented yet',
    );
    await expectNotImplemented(c.createIndex({ t: 1 }, { expireAfterSeconds: 60 }), 'Index option "expireAfterSeconds" is not implemented yet');
    const text = (await errorOf(c.createIndex({ body: 'text' }))) as MongoServerError;
    expect([text.code, text.message]).toEqual([27, `can't find index with key: { body: "text" }`]);
  });

  it('GAP: queries do not use secondary indexes (explain shows a table scan, no filter pushdown)', async () => {
    const c = collection();
    await c.createIndex({ status: 1 });
    await c.insertOne({ status: 'queued' });
    const plan = await c.find({ status: 'queued' }).explain();
    expect(plan['filterPushdown']).toBe(false);
    expect(JSON.stringify(plan['queryPlanner'])).toMatch(/SCAN/);
  });
});

describe('single-document writes', () => {
  it('findOneAndUpdate with upsert and returnDocument "after" inserts, then updates, honouring $setOnInsert', async () => {
    const c = collection();
    const update = (v: number) => ({ $set: { v }, $setOnInsert: { createdBy: v }, $inc: { n: 1 } });
    const first = await c.findOneAndUpdate({ key: 'k' }, update(1), { upsert: true, returnDocument: 'after' });
    expect(first).toEqual({ _id: expect.anything(), key: 'k', v: 1, createdBy: 1, n: 1 });
    const second = await c.findOneAndUpdate({ key: 'k' }, update(2), { upsert: true, returnDocument: 'after' });
    expect(second).toEqual({ _id: first?._id, key: 'k', v: 2, createdBy: 1, n: 2 });
    const before = await c.findOneAndUpdate({ key: 'k' }, { $set: { v: 3 } }, { returnDocument: 'before', includeResultMetadata: true });
    expect(before.value?.['v']).toBe(2);
    expect(before.lastErrorObject).toEqual({ n: 1, updatedExisting: true });
    expect(await c.countDocuments()).toBe(1);
  });

  it('GAP: findOneAndUpdate with a projection is rejected', async () => {
    const c = collection();
    await expectNotImplemented(
      c.findOneAndUpdate({ key: 'k' }, { $set: { v: 1 } }, { upsert: true, returnDocument: 'after', projection: { _id: 0 } }),
      'findAndModify: support for field "fields" with value &{map[_id:1] [{0 _id}] false 0} is not implemented yet',
    );
  });

  it('updateOne with upsert applies $set, $setOnInsert, $inc and $push (with $each), nested paths included', async () => {
    const c = collection<TrackedDocument>();
    const first = await c.updateOne(
      { docId: 'd1' },
      { $set: { 'fields.vendor.value': 'ACME' }, $setOnInsert: { status: 'queued', createdAt: 1 }, $inc: { 'cost.usd': 0.25 }, $push: { history: { at: 1 } } },
      { upsert: true },
    );
    expect([first.upsertedCount, first.matchedCount]).toEqual([1, 0]);
    const second = await c.updateOne(
      { docId: 'd1' },
      { $set: { status: 'done' }, $setOnInsert: { createdAt: 2 }, $inc: { 'cost.usd': 0.5 }, $push: { history: { $each: [{ at: 2 }, { at: 3 }] } } },
      { upsert: true },
    );
    expect([second.upsertedCount, second.matchedCount, second.modifiedCount]).toEqual([0, 1, 1]);
    expect(await c.findOne({ docId: 'd1' }, { projection: { _id: 0 } })).toEqual({
      docId: 'd1',
      fields: { vendor: { value: 'ACME' } },
      status: 'done',
      createdAt: 1,
      cost: { usd: 0.75 },
      history: [{ at: 1 }, { at: 2 }, { at: 3 }],
    });
  });

  it('GAP: $push ignores the $slice modifier silently', async () => {
    const c = collection<TrackedDocument>();
    await c.insertOne({ docId: 'd1', history: [{ at: 1 }] });
    await c.updateOne({ docId: 'd1' }, { $push: { history: { $each: [{ at: 2 }, { at: 3 }], $slice: -2 } } });
    // MongoDB keeps the last two: [{ at: 2 }, { at: 3 }].
    expect((await c.findOne({ docId: 'd1' }))?.history).toEqual([{ at: 1 }, { at: 2 }, { at: 3 }]);
  });

  it('GAP: an update that makes a unique key collide fails with InternalError (1); an upsert insert gets 11000', async () => {
    const c = collection();
    await c.createIndex({ key: 1 }, { unique: true });
    await c.insertMany([{ key: 1 }, { key: 2 }]);
    const update = (await errorOf(c.updateOne({ key: 1 }, { $set: { key: 2 } }))) as MongoServerError;
    expect([update.code, update.codeName]).toEqual([1, 'InternalError']);
    expect(update.message).toMatch(/UNIQUE constraint failed: index '.+_key_1' \(2067\)$/);
    const upsert = (await errorOf(c.updateOne({ other: 1 }, { $setOnInsert: { key: 2 } }, { upsert: true }))) as MongoServerError;
    expect(upsert.code).toBe(11000);
    expect(upsert.message).toMatch(/^E11000 duplicate key error collection: /);
  });

  it('GAP: update pipelines (array updates) are rejected', async () => {
    const c = collection();
    await c.insertOne({ a: 1 });
    const err = (await errorOf(c.updateOne({ a: 1 }, [{ $set: { b: 1 } }]))) as MongoServerError;
    expect([err.code, err.message]).toEqual([14, "BSON field 'update.updates.u' is the wrong type 'array', expected type 'object'"]);
  });

  it('concurrent updates of one document from several connections are atomic (through the serializing front)', async () => {
    // FerretDB v1 on SQLite alone reads, modifies in Go and writes back outside one transaction
    // (FerretDB issue #3040): 40 parallel $inc on separate connections once left n at 3, and
    // parallel claims had several winners. tools/ferretdb/serialize.go runs commands one at a time,
    // which restores MongoDB's single-document atomicity that job leases and version checks need.
    const parallel = 40;
    const pooled = new MongoClient(services().mongoUri, { maxPoolSize: parallel, minPoolSize: parallel });
    try {
      const c = pooled.db(testDb.db.databaseName).collection(uniqueName('race'));
      await c.insertMany([{ _id: 'counter' as never, n: 0 }, { _id: 'job' as never, status: 'queued', owner: null }]);
      await Promise.all(Array.from({ length: parallel }, () => c.updateOne({ _id: 'counter' as never }, { $inc: { n: 1 } })));
      expect((await c.findOne({ _id: 'counter' as never }))?.['n']).toBe(parallel);
      const claims = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          c.findOneAndUpdate({ _id: 'job' as never, status: 'queued' }, { $set: { status: 'processing', owner: i } }, { returnDocument: 'after' }),
        ),
      );
      expect(claims.filter((r) => r !== null)).toHaveLength(1);
    } finally {
      await pooled.close();
    }
  });
});

describe('bulk writes and duplicate keys', () => {
  async function uniqueKeyed(): Promise<Collection> {
    const c = collection();
    await c.createIndex({ key: 1 }, { unique: true });
    await c.insertOne({ key: 1 });
    return c;
  }

  it('insertMany unordered with one duplicate inserts the rest and reports the duplicate at its index', async () => {
    const c = await uniqueKeyed();
    const err = (await errorOf(c.insertMany([{ key: 2 }, { key: 1 }, { key: 3 }], { ordered: false }))) as MongoBulkWriteError;
    expect(err).toBeInstanceOf(MongoBulkWriteError);
    expect(err.code).toBe(11000);
    expect(writeErrorsOf(err)).toEqual([[1, 11000]]);
    expect([err.writeErrors].flat()[0]?.errmsg).toMatch(/^E11000 duplicate key error collection: /);
    expect(err.result.insertedCount).toBe(2);
    expect(await c.distinct('key')).toEqual([1, 2, 3]);
  });

  it('bulkWrite unordered: upserts apply and duplicate inserts are reported per operation', async () => {
    const c = await uniqueKeyed();
    const upserts = await c.bulkWrite(
      [
        { updateOne: { filter: { key: 20 }, update: { $set: { v: 1 } }, upsert: true } },
        { updateOne: { filter: { key: 21 }, update: { $set: { v: 1 } }, upsert: true } },
        { updateOne: { filter: { key: 20 }, update: { $set: { v: 2 } }, upsert: true } },
      ],
      { ordered: false },
    );
    expect([upserts.upsertedCount, upserts.matchedCount, upserts.modifiedCount]).toEqual([2, 1, 1]);

    const err = (await errorOf(
      c.bulkWrite([{ insertOne: { document: { key: 1 } } }, { insertOne: { document: { key: 30 } } }, { updateOne: { filter: { o: 'g' }, update: { $set: { key: 31 } }, upsert: true } }], {
        ordered: false,
      }),
    )) as MongoBulkWriteError;
    expect(writeErrorsOf(err)).toEqual([[0, 11000]]);
    expect([err.result.insertedCount, err.result.upsertedCount]).toEqual([1, 1]);
    expect(await c.distinct('key')).toEqual([1, 20, 21, 30, 31]);
  });

  it('GAP: bulkWrite unordered upserts stop at the first duplicate, report index 0 and count no upserts', async () => {
    const c = await uniqueKeyed();
    const err = (await errorOf(
      c.bulkWrite(
        [
          { updateOne: { filter: { o: 'A' }, update: { $setOnInsert: { key: 100 } }, upsert: true } },
          { updateOne: { filter: { o: 'B' }, update: { $setOnInsert: { key: 1 } }, upsert: true } },
          { updateOne: { filter: { o: 'C' }, update: { $setOnInsert: { key: 101 } }, upsert: true } },
        ],
        { ordered: false },
      ),
    )) as MongoBulkWriteError;
    // MongoDB: writeErrors [{index: 1}], upsertedCount 2, and C applied.
    expect(writeErrorsOf(err)).toEqual([[0, 11000]]);
    expect(err.result.upsertedCount).toBe(0);
    expect(await c.distinct('key')).toEqual([1, 100]);
  });
});

describe('aggregation', () => {
  it('supports $match, $group ($sum, $count), $sort, $skip, $limit, $project, $unwind, $count and literal $addFields', async () => {
    const c = await seedGroups();
    expect(
      await c
        .aggregate([{ $match: { v: { $gte: 1 } } }, { $group: { _id: '$g', total: { $sum: '$v' } } }, { $sort: { total: -1 } }, { $limit: 5 }])
        .toArray(),
    ).toEqual([
      { _id: 'y', total: 10 },
      { _id: 'x', total: 4 },
    ]);
    expect(await c.aggregate([{ $group: { _id: '$g', n: { $sum: 1 } } }, { $sort: { _id: 1 } }]).toArray()).toEqual([
      { _id: 'x', n: 2 },
      { _id: 'y', n: 1 },
    ]);
    expect(await c.aggregate([{ $group: { _id: null, n: { $count: {} } } }]).toArray()).toEqual([{ _id: null, n: 3 }]);
    expect(await c.aggregate([{ $sort: { v: 1 } }, { $skip: 1 }, { $project: { _id: 0, g: 1, v: 1 } }]).toArray()).toEqual([
      { g: 'x', v: 3 },
      { g: 'y', v: 10 },
    ]);
    expect(await c.aggregate([{ $unwind: '$tags' }, { $group: { _id: '$tags', n: { $sum: 1 } } }, { $sort: { _id: 1 } }]).toArray()).toEqual([
      { _id: 'p', n: 1 },
      { _id: 'q', n: 2 },
    ]);
    expect(await c.aggregate([{ $match: { g: 'x' } }, { $count: 'n' }]).toArray()).toEqual([{ n: 2 }]);
    expect(await c.aggregate([{ $addFields: { flag: 5 } }, { $project: { _id: 0, flag: 1 } }, { $limit: 1 }]).toArray()).toEqual([{ flag: 5 }]);
  });

  it('GAP: in a $group with several accumulators only the first is computed; the others are 0 (FerretDB #4616)', async () => {
    const c = await seedGroups();
    const rows = await c
      .aggregate([{ $group: { _id: '$g', sumV: { $sum: '$v' }, sumW: { $sum: '$w' }, n: { $sum: 1 } } }, { $sort: { _id: 1 } }])
      .toArray();
    // MongoDB: x → sumW 11, n 2; y → sumW 7, n 1.
    expect(rows).toEqual([
      { _id: 'x', sumV: 4, sumW: 0, n: 0 },
      { _id: 'y', sumV: 10, sumW: 0, n: 0 },
    ]);
  });

  it('GAP: field paths in $project/$addFields are not evaluated: "$v" comes back as the string "$v"', async () => {
    const c = await seedGroups();
    expect(await c.aggregate([{ $project: { _id: 0, copy: '$v' } }, { $limit: 1 }]).toArray()).toEqual([{ copy: '$v' }]);
    expect(await c.aggregate([{ $addFields: { copy: '$v' } }, { $project: { _id: 0, copy: 1 } }, { $limit: 1 }]).toArray()).toEqual([{ copy: '$v' }]);
  });

  it('GAP: $avg, $max, $min, $push, $percentile and $median accumulators are not implemented', async () => {
    const c = await seedGroups();
    for (const accumulator of ['$avg', '$max', '$min', '$push'] as const) {
      await expectNotImplemented(
        c.aggregate([{ $group: { _id: '$g', r: { [accumulator]: '$v' } } }]).toArray(),
        `$group accumulator "${accumulator}" is not implemented yet`,
      );
    }
    await expectNotImplemented(
      c.aggregate([{ $group: { _id: null, p: { $percentile: { input: '$v', p: [0.5, 0.95], method: 'approximate' } } } }]).toArray(),
      '$group accumulator "$percentile" is not implemented yet',
    );
    await expectNotImplemented(
      c.aggregate([{ $group: { _id: null, p: { $median: { input: '$v', method: 'approximate' } } } }]).toArray(),
      '$group accumulator "$median" is not implemented yet',
    );
  });

  it('GAP: $facet, $lookup, $sortByCount, $unwind options, $expr and expression operators are not implemented', async () => {
    const c = await seedGroups();
    await expectNotImplemented(c.aggregate([{ $facet: { all: [{ $count: 'n' }] } }]).toArray(), '`aggregate` stage "$facet" is not implemented yet');
    await expectNotImplemented(
      c.aggregate([{ $lookup: { from: 'other', localField: 'v', foreignField: 'v', as: 'j' } }]).toArray(),
      '`aggregate` stage "$lookup" is not implemented yet',
    );
    await expectNotImplemented(c.aggregate([{ $sortByCount: '$g' }]).toArray(), '`aggregate` stage "$sortByCount" is not implemented yet');
    const unwindErr = await errorOf(c.aggregate([{ $unwind: { path: '$tags', preserveNullAndEmptyArrays: true } }]).toArray());
    expect([(unwindErr as MongoServerError).code, unwindErr.message]).toEqual([238, expect.stringMatching(/^\$unwind: support for field "\$unwind" with value .* is not implemented yet$/)]);
    await expectNotImplemented(
      c.aggregate([{ $addFields: { w: { $add: ['$v', 1] } } }]).toArray(),
      'Invalid $addFields :: caused by :: The operator $add is not implemented yet',
    );
    await expectNotImplemented(
      c.aggregate([{ $group: { _id: null, n: { $sum: { $cond: [{ $gte: ['$v', 3] }, 1, 0] } } } }]).toArray(),
      'Invalid $group :: caused by :: The operator $cond is not implemented yet',
    );
    await expectNotImplemented(
      c.aggregate([{ $group: { _id: { $dateToString: { format: '%Y-%m-%d', date: '$at' } }, n: { $sum: 1 } } }]).toArray(),
      'Invalid $group :: caused by :: The operator $dateToString is not implemented yet',
    );
    await expectNotImplemented(c.find({ $expr: { $gt: ['$v', 2] } }).toArray(), 'Invalid $match :: caused by :: The operator $gt is not implemented yet');
  });

  it('countDocuments and distinct work', async () => {
    const c = await seedGroups();
    expect(await c.countDocuments({ g: 'x' })).toBe(2);
    expect(await c.countDocuments()).toBe(3);
    expect((await c.distinct('g')).sort()).toEqual(['x', 'y']);
    expect((await c.distinct('tags', { g: 'x' })).sort()).toEqual(['p', 'q']);
  });

  it('GAP: $elemMatch with several field conditions is rejected', async () => {
    const c = collection();
    await c.insertOne({ items: [{ a: 1, b: 2 }] });
    const err = (await errorOf(c.countDocuments({ items: { $elemMatch: { a: 1, b: 2 } } }))) as MongoServerError;
    expect([err.code, err.codeName, err.message]).toEqual([2, 'BadValue', 'unknown operator: a']);
  });
});

describe('sessions', () => {
  it('GAP: transactions are not supported and write nothing', async () => {
    const c = collection();
    const session = testDb.client.startSession();
    try {
      const err = (await errorOf(session.withTransaction(async () => c.insertOne({ inTx: true }, { session })))) as MongoServerError;
      expect([err.code, err.codeName, err.message]).toEqual([9, 'FailedToParse', 'insert: unknown field "autocommit"']);
    } finally {
      await session.endSession();
    }
    expect(await c.countDocuments()).toBe(0);
  });

  it('GAP: change streams are not supported', async () => {
    const c = collection();
    const stream = c.watch();
    try {
      await expectNotImplemented(stream.tryNext(), '`aggregate` stage "$changeStream" is not implemented yet');
    } finally {
      await stream.close();
    }
  });
});
