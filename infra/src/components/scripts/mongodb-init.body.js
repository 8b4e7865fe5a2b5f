// mongosh, connected to the primary as root. Prepended by the infra program with the constants
// DATABASE (the app database) and INDEX_SPECS (generated from app/src/store/collections.ts).
// Environment: MONGODB_HOSTS, MONGODB_REPLICA_SET, MONGODB_APP_USERNAME, MONGODB_APP_PASSWORD,
// MONGODB_EXPORTER_USERNAME and MONGODB_EXPORTER_PASSWORD (optional).

const env = process.env;
const admin = db.getSiblingDB('admin');

// Members added to the config since the set was initiated (scale-up). Scale-down is left to an
// operator (rs.remove), as removing a member that holds data must be a decision.
if (env.MONGODB_REPLICA_SET) {
  const known = new Set(rs.conf().members.map((m) => m.host));
  for (const host of env.MONGODB_HOSTS.split(',')) {
    if (!known.has(host)) {
      print(`adding member ${host}`);
      rs.add({ host });
    }
  }
}

function upsertUser(user, pwd, roles) {
  if (admin.getUser(user)) {
    admin.updateUser(user, { pwd, roles });
    print(`updated user ${user}`);
  } else {
    admin.createUser({ user, pwd, roles });
    print(`created user ${user}`);
  }
}

// The app's user: read and write on its own database only (MONGODB_URI, authSource=admin).
upsertUser(env.MONGODB_APP_USERNAME, env.MONGODB_APP_PASSWORD, [{ role: 'readWrite', db: DATABASE }]);
// The Prometheus exporter: the roles percona/mongodb_exporter documents for --collect-all.
if (env.MONGODB_EXPORTER_USERNAME) {
  upsertUser(env.MONGODB_EXPORTER_USERNAME, env.MONGODB_EXPORTER_PASSWORD, [
    { role: 'clusterMonitor', db: 'admin' },
    { role: 'read', db: 'local' },
  ]);
}

const appDb = db.getSiblingDB(DATABASE);
for (const spec of INDEX_SPECS) {
  appDb.getCollection(spec.collection).createIndex(spec.key, spec.options);
  print(`index ${DATABASE}.${spec.collection} ${spec.options.name} ${JSON.stringify(spec.key)}`);
}

const missing = INDEX_SPECS.filter(
  (spec) => !appDb.getCollection(spec.collection).getIndexes().some((index) => index.name === spec.options.name),
);
if (missing.length > 0) {
  print(`missing indexes: ${missing.map((s) => `${s.collection}.${s.options.name}`).join(', ')}`);
  quit(1);
}
print(`${INDEX_SPECS.length} indexes present in ${DATABASE}`);
