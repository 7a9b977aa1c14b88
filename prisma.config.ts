// Read by the Prisma CLI only; Signet itself never loads it. Prisma 7 takes the connection URL from
// here rather than from schema.prisma. `prisma generate` needs no database, so DATABASE_URL stays
// optional: `prisma migrate deploy` / `status` on a machine with the schema engine read it.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  ...(process.env.DATABASE_URL ? { datasource: { url: process.env.DATABASE_URL } } : {}),
});
