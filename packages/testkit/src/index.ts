export * from './test-database.js';
export * from './pg-admin.js';
export * from './moto.js';
export * from './aws-fault-proxy.js';
export * from './tcp-proxy.js';
export * from './smtp-sink.js';
export * from './redis-cluster.js';
export * from './redis-server.js';
