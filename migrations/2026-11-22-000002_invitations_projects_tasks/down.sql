DROP TABLE tasks;
DROP TABLE projects;
DROP TABLE invitations;
