// mongosh, connected directly to member 0 as root. Initiates the replica set when it is not
// initiated yet, then waits until a primary is elected.
// Environment: MONGODB_HOSTS (comma-separated host:port, member 0 first), MONGODB_REPLICA_SET.

// 60 × 5 s: an election normally takes seconds; five minutes covers slow volume attachment.
const PRIMARY_WAIT_ATTEMPTS = 60;

const hosts = process.env.MONGODB_HOSTS.split(',');
const setName = process.env.MONGODB_REPLICA_SET;

function isInitiated() {
  try {
    db.adminCommand({ replSetGetStatus: 1 });
    return true;
  } catch (err) {
    // NotYetInitialized (94): a member started with --replSet before rs.initiate.
    if (err.code === 94 || err.codeName === 'NotYetInitialized') return false;
    throw err;
  }
}

if (!isInitiated()) {
  // Member 0 gets the highest priority so that the first primary is the member that initiated.
  const members = hosts.map((host, i) => ({ _id: i, host, priority: i === 0 ? 2 : 1 }));
  print(`initiating replica set ${setName} with ${hosts.join(', ')}`);
  rs.initiate({ _id: setName, members });
} else {
  print(`replica set ${setName} already initiated`);
}

let primary;
for (let attempt = 1; attempt <= PRIMARY_WAIT_ATTEMPTS && !primary; attempt++) {
  primary = db.hello().primary;
  if (!primary) {
    print(`waiting for a primary (attempt ${attempt})`);
    sleep(5000);
  }
}
if (!primary) {
  print(`no primary elected in replica set ${setName}`);
  quit(1);
}
print(`primary: ${primary}`);
