DROP TABLE redis_epochs;
