/** The throwaway server lives in src/ so that `npm run bench` starts the same one (its PostgreSQL rows). */
export { startPostgresServer, type PostgresServer } from '../../src/db/state/postgres/throwaway-postgres-server.js';
