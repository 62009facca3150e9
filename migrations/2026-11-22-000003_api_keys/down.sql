DROP TABLE api_key_index;
DROP TABLE api_keys;
