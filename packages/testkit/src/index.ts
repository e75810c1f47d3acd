export * from './test-database.js';
export * from './pg-admin.js';
