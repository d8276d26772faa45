// Run once by the `mongo-init` service (mongosh --file, on mongo1's localhost): makes mongo1..3 the
// replica set rs0 if it is not one yet, creates the users that are missing, and waits until the set
// has a primary, so the services that depend on this one start against a writable replica set.
// Safe to run again: what exists is left as it is (the application user's password and roles are
// brought in line with the environment).
//
// The members run with --keyFile, so access control is on. Before any user exists, MongoDB's
// localhost exception lets a localhost connection initiate the set and create the first user
// (it must be made on the primary, once one is elected); after that everything here runs
// authenticated as root.
//
// Environment: MONGO_ROOT_USERNAME, MONGO_ROOT_PASSWORD, MONGO_APP_USERNAME, MONGO_APP_PASSWORD,
// MONGO_APP_DATABASE.
const env = process.env;
for (const name of ['MONGO_ROOT_USERNAME', 'MONGO_ROOT_PASSWORD', 'MONGO_APP_USERNAME', 'MONGO_APP_PASSWORD', 'MONGO_APP_DATABASE']) {
  if (!env[name]) {
    print(`${name} is not set`);
    quit(1);
  }
}
const members = [
  { _id: 0, host: 'mongo1:27017', priority: 2 },
  { _id: 1, host: 'mongo2:27017', priority: 1 },
  { _id: 2, host: 'mongo3:27017', priority: 1 },
];
const admin = db.getSiblingDB('admin');

function waitFor(what, test) {
  for (let i = 0; i < 120; i++) {
    if (test()) return;
    sleep(1000);
  }
  print(`replica set rs0: ${what} did not happen within 120 s`);
  quit(1);
}

function authenticated() {
  try {
    admin.auth(env.MONGO_ROOT_USERNAME, env.MONGO_ROOT_PASSWORD);
    return true;
  } catch (e) {
    return false;
  }
}

if (!authenticated()) {
  // No root user yet (or a wrong password, which the createUser below then reports as Unauthorized).
  try {
    rs.status();
    print('replica set rs0 already initiated');
  } catch (e) {
    if (e.codeName !== 'NotYetInitialized') throw e;
    rs.initiate({ _id: 'rs0', members });
    print('replica set rs0 initiated');
  }
  // The first user can only be created on the primary; mongo1 has the highest priority.
  waitFor('mongo1 becoming primary', () => db.hello().isWritablePrimary === true);
  admin.createUser({ user: env.MONGO_ROOT_USERNAME, pwd: env.MONGO_ROOT_PASSWORD, roles: [{ role: 'root', db: 'admin' }] });
  print(`user ${env.MONGO_ROOT_USERNAME} created`);
  if (!authenticated()) {
    print('cannot authenticate as the root user just created');
    quit(1);
  }
}

waitFor('a primary', () => Boolean(db.hello().primary));

// Users are written on the primary, which need not be mongo1 on a later run (after a failover):
// talk to the set as a whole from here on.
const enc = encodeURIComponent;
const set = new Mongo(
  `mongodb://${enc(env.MONGO_ROOT_USERNAME)}:${enc(env.MONGO_ROOT_PASSWORD)}@${members.map((m) => m.host).join(',')}/?replicaSet=rs0&authSource=admin`,
);
const setAdmin = set.getDB('admin');

// The application's user: read and write its database, and collMod (dbAdmin) to apply a changed
// access-record retention at startup. Defined in admin, so STORE_URL says authSource=admin.
const appRoles = [
  { role: 'readWrite', db: env.MONGO_APP_DATABASE },
  { role: 'dbAdmin', db: env.MONGO_APP_DATABASE },
];
if (setAdmin.getUser(env.MONGO_APP_USERNAME)) {
  setAdmin.updateUser(env.MONGO_APP_USERNAME, { pwd: env.MONGO_APP_PASSWORD, roles: appRoles });
  print(`user ${env.MONGO_APP_USERNAME} updated`);
} else {
  setAdmin.createUser({ user: env.MONGO_APP_USERNAME, pwd: env.MONGO_APP_PASSWORD, roles: appRoles });
  print(`user ${env.MONGO_APP_USERNAME} created`);
}

print(`replica set rs0 has a primary: ${setAdmin.hello().primary}`);
quit(0);
