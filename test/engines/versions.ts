/** @module Engine versions the tests run against, pinned and checked against Maven Central. */

/**
 * Conductor OSS server boot jar. Maven Central holds only 3.21.14 of the 3.21 line (then 3.32.x);
 * 3.21.x is the last line built for Java 17 (3.21.23+, 3.22+ and 3.32.x need Java 21), and
 * 3.21.14 ships Postgres persistence, queues and indexing. Checked with `mvn dependency:get`.
 */
export const CONDUCTOR_VERSION = '3.21.14'
export const CONDUCTOR_ARTIFACT = `org.conductoross:conductor-server:${CONDUCTOR_VERSION}:jar:boot`

/**
 * Keycloak's Quarkus server distribution. 26.x still runs on Java 17 (Java 11 was dropped in 22);
 * 26.4.7 is on Maven Central and was seen to start in dev mode on this machine's OpenJDK 17.
 */
export const KEYCLOAK_VERSION = '26.4.7'
export const KEYCLOAK_ARTIFACT = `org.keycloak:keycloak-quarkus-dist:${KEYCLOAK_VERSION}:zip`

/** Pinned so a cold machine resolves the same plugin instead of Maven's old default (2.8). */
export const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.6.1'
