// The database component and what a user of it needs.
export * from "./database";
