// Run once by the `mongo-init` service (mongosh --file): makes mongo1..3 the replica set rs0 if
// it is not one yet, then waits until it has a primary, so the services that depend on this one
// start against a writable replica set. Safe to run again: an initiated set is left as it is.
const members = [
  { _id: 0, host: 'mongo1:27017', priority: 2 },
  { _id: 1, host: 'mongo2:27017', priority: 1 },
  { _id: 2, host: 'mongo3:27017', priority: 1 },
];

try {
  rs.status();
  print('replica set rs0 already initiated');
} catch (e) {
  if (e.codeName !== 'NotYetInitialized') throw e;
  rs.initiate({ _id: 'rs0', members });
  print('replica set rs0 initiated');
}

for (let i = 0; i < 120; i++) {
  const primary = db.hello().primary;
  if (primary) {
    print(`replica set rs0 has a primary: ${primary}`);
    quit(0);
  }
  sleep(1000);
}
print('replica set rs0 elected no primary within 120 s');
quit(1);
