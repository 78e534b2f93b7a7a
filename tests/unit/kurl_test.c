/*
 * kurl_test — lib/kurl.c: every part of a kafka:// name, each form, and
 * the exact reason a name is refused.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kafka.h"
#include "unit.h"

static void
good(const char *name, int form, const char *brokers, const char *topic,
    int32_t part, const char *group, int line)
{
	struct ex_kurl u;
	char why[512] = "";
	int r = ex_kurl_parse(name, form, &u, why, sizeof why);

	unit_checks++;
	if (r != 0 || strcmp(u.brokers, brokers) != 0 ||
	    strcmp(u.topic, topic) != 0 || u.partition != part ||
	    (group == NULL) != (u.group == NULL) ||
	    (group && strcmp(u.group, group) != 0)) {
		unit_failed++;
		fprintf(stderr, "kurl_test.c:%d: %s: got %d %s\n", line, name,
		    r, r ? why : "(other parts)");
	}
	ex_kurl_free(&u);
}

static void
bad(const char *name, int form, const char *reason, int line)
{
	struct ex_kurl u;
	char why[512] = "", want[512];
	int r = ex_kurl_parse(name, form, &u, why, sizeof why);

	snprintf(want, sizeof want, "%s: %s", name, reason);
	unit_checks++;
	if (r != -1 || strcmp(why, want) != 0 || u.brokers || u.topic ||
	    u.group || u.partition != -1) {
		unit_failed++;
		fprintf(stderr, "kurl_test.c:%d: %s: got %d \"%s\", want "
		    "\"%s\"\n", line, name, r, why, want);
	}
}

#define GOOD(n, f, b, t, p, g) good(n, f, b, t, p, g, __LINE__)
#define BAD(n, f, r) bad(n, f, r, __LINE__)

enum { L = EX_KURL_LOG, S = EX_KURL_STORE, T = EX_KURL_LIST };

static void
forms(void)
{
	GOOD("kafka://k1:9092/clicks/3", L, "k1:9092", "clicks", 3, NULL);
	GOOD("kafka://k1:9092,k2:9093/clicks/0", L, "k1:9092,k2:9093",
	    "clicks", 0, NULL);
	GOOD("kafka://10.0.0.1:1/a.b_c-D/2147483647", L, "10.0.0.1:1",
	    "a.b_c-D", INT32_MAX, NULL);
	GOOD("kafka://[::1]:9092/t/1", L, "[::1]:9092", "t", 1, NULL);
	GOOD("kafka://k1:65535/t/3@billing", S, "k1:65535", "t", 3,
	    "billing");
	/* a group may hold what a topic may not */
	GOOD("kafka://k1:9092/t/3@a/b@c d", S, "k1:9092", "t", 3, "a/b@c d");
	GOOD("kafka://k1:9092/clicks", T, "k1:9092", "clicks", -1, NULL);
	GOOD("kafka://k1:9092/clicks@g", T, "k1:9092", "clicks", -1, "g");
	GOOD("kafka://k1:9092/clicks/2@g", T, "k1:9092", "clicks", 2, "g");
	GOOD("kafka://k1:9092/clicks/2", T, "k1:9092", "clicks", 2, NULL);

	BAD("kafka://k1:9092/t", L, "no partition (expected "
	    "kafka://BROKERS/TOPIC/PARTITION)");
	BAD("kafka://k1:9092/t@g", S, "no partition (expected "
	    "kafka://BROKERS/TOPIC/PARTITION@GROUP)");
	BAD("kafka://k1:9092/t/0", S, "no group: an offset store is "
	    "kafka://BROKERS/TOPIC/PARTITION@GROUP");
	BAD("kafka://k1:9092/t/0@g", L, "a log names no group (the group's "
	    "offset is a store: give it to -o)");
	BAD("kafka://k1:9092/t/0@", S, "empty group after '@'");
	BAD("kafka://k1:9092/t@", T, "empty group after '@'");
}

static void
parts(void)
{
	BAD("kafka:/k1:9092/t/0", L, "not a kafka:// name");
	BAD("Kafka://k1:9092/t/0", L, "not a kafka:// name");
	BAD("kafka://", L, "no topic (expected kafka://BROKERS/TOPIC...)");
	BAD("kafka://k1:9092", L, "no topic (expected "
	    "kafka://BROKERS/TOPIC...)");
	BAD("kafka:///t/0", L, "no brokers (expected "
	    "kafka://host:port[,host:port...]/TOPIC...)");
	BAD("kafka://k1/t/0", L, "broker 'k1': expected host:port, the port "
	    "1 to 65535");
	BAD("kafka://k1:/t/0", L, "broker 'k1:': expected host:port, the port "
	    "1 to 65535");
	BAD("kafka://:9092/t/0", L, "broker ':9092': expected host:port, the "
	    "port 1 to 65535");
	BAD("kafka://k1:0/t/0", L, "broker 'k1:0': expected host:port, the "
	    "port 1 to 65535");
	BAD("kafka://k1:65536/t/0", L, "broker 'k1:65536': expected "
	    "host:port, the port 1 to 65535");
	BAD("kafka://k1:09092/t/0", L, "broker 'k1:09092': expected "
	    "host:port, the port 1 to 65535");
	BAD("kafka://k1:9092,/t/0", L, "broker '': expected host:port, the "
	    "port 1 to 65535");
	BAD("kafka://k1 x:9092/t/0", L, "broker 'k1 x:9092': expected "
	    "host:port, the port 1 to 65535");
	BAD("kafka://::1:9092/t/0", L, "broker '::1:9092': expected "
	    "host:port, the port 1 to 65535");
	BAD("kafka://[]:9092/t/0", L, "broker '[]:9092': expected host:port, "
	    "the port 1 to 65535");
	BAD("kafka://[::1]/t/0", L, "broker '[::1]': expected host:port, the "
	    "port 1 to 65535");
	BAD("kafka://k1:9092//0", L, "no topic");
	BAD("kafka://k1:9092/./0", L, "topic '.': not a topic name");
	BAD("kafka://k1:9092/../0", L, "topic '..': not a topic name");
	BAD("kafka://k1:9092/t x/0", L, "topic 't x': a topic name holds "
	    "only letters, digits, '.', '_' and '-'");
	BAD("kafka://k1:9092/t/", L, "partition '': expected a number, 0 to "
	    "2147483647, without sign or leading zeros");
	BAD("kafka://k1:9092/t/+1", L, "partition '+1': expected a number, 0 "
	    "to 2147483647, without sign or leading zeros");
	BAD("kafka://k1:9092/t/2147483648", L, "partition '2147483648': "
	    "expected a number, 0 to 2147483647, without sign or leading "
	    "zeros");
	BAD("kafka://k1:9092/t/0/1", L, "partition '0/1': expected a "
	    "number, 0 to 2147483647, without sign or leading zeros");
}

static void
limits(void)
{
	char name[400];

	memset(name, 0, sizeof name);
	strcpy(name, "kafka://k:1/");
	memset(name + 12, 'x', 249);
	strcpy(name + 12 + 249, "/0");
	{
		char topic[250];

		memset(topic, 'x', 249);
		topic[249] = '\0';
		GOOD(name, L, "k:1", topic, 0, NULL);
	}
	strcpy(name + 12, "");
	memset(name + 12, 'x', 250);
	strcpy(name + 12 + 250, "/0");
	BAD(name, L, "topic of 250 bytes: at most 249");
}

static void
logs(void)
{
	char *log = ex_kafka_logof("kafka://k1:9092,k2:9092/t/3@a/b@c");

	CHECK_STR(log, "kafka://k1:9092,k2:9092/t/3");
	free(log);
}

int
main(void)
{
	forms();
	logs();
	parts();
	limits();
	return unit_done("kurl_test");
}
