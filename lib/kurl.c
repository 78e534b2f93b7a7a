/*
 * kafka:// names, parsed strictly: a name that reads as another partition
 * or group than the user meant would consume or commit the wrong thing.
 * Built with or without librdkafka.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "kafka.h"
#include "tag.h"

#define PREFIX "kafka://"
#define TOPIC_MAX 249 /* Kafka's own limit */

int
ex_kafka_name(const char *name)
{
	return strncmp(name, PREFIX, strlen(PREFIX)) == 0;
}

static int
fail(char *why, size_t n, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
fail(char *why, size_t n, const char *name, const char *fmt, ...)
{
	va_list ap;
	int k = snprintf(why, n, "%s: ", name);

	if (k < 0 || (size_t)k >= n)
		k = 0;
	va_start(ap, fmt);
	vsnprintf(why + k, n - (size_t)k, fmt, ap);
	va_end(ap);
	return -1;
}

/* A port: 1 to 65535, decimal, no sign or leading zero. */
static int
port(const char *s, size_t n)
{
	uint64_t v;

	return ex_off_parse(s, n, &v) == NULL && v >= 1 && v <= 65535;
}

/* One host:port of BROKERS, s[0..n): a name, an IPv4 address or an IPv6
 * one in brackets. */
static int
broker(const char *s, size_t n)
{
	const char *colon;
	size_t h;

	if (n > 0 && s[0] == '[') {
		const char *rb = memchr(s, ']', n);

		if (!rb || rb == s + 1 || rb + 1 >= s + n || rb[1] != ':')
			return 0;
		colon = rb + 1;
	} else {
		colon = NULL;
		for (const char *p = s; p < s + n; p++)
			if (*p == ':')
				colon = p;
		if (!colon || colon == s || memchr(s, ':', n) != colon)
			return 0;
		for (const char *p = s; p < colon; p++)
			if (*p <= ' ' || *p == '[' || *p == ']' || *p == 0x7f)
				return 0;
	}
	h = (size_t)(colon + 1 - s);
	return port(colon + 1, n - h);
}

static int
brokers(const char *s, size_t n, const char *name, char *why, size_t wn)
{
	const char *p = s, *end = s + n, *comma;

	if (n == 0)
		return fail(why, wn, name, "no brokers (expected "
		    "kafka://host:port[,host:port...]/TOPIC...)");
	for (; p <= end; p = comma + 1) {
		comma = memchr(p, ',', (size_t)(end - p));
		if (!comma)
			comma = end;
		if (!broker(p, (size_t)(comma - p)))
			return fail(why, wn, name, "broker '%.*s': expected "
			    "host:port, the port 1 to 65535",
			    (int)(comma - p), p);
	}
	return 0;
}

/* Kafka's rule: letters, digits, '.', '_' and '-'; not "." or "..". */
static int
topic(const char *s, size_t n, const char *name, char *why, size_t wn)
{
	if (n == 0)
		return fail(why, wn, name, "no topic");
	if (n > TOPIC_MAX)
		return fail(why, wn, name, "topic of %zu bytes: at most %d",
		    n, TOPIC_MAX);
	if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return fail(why, wn, name, "topic '%.*s': not a topic name",
		    (int)n, s);
	for (size_t i = 0; i < n; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') &&
		    !(s[i] >= 'A' && s[i] <= 'Z') &&
		    !(s[i] >= '0' && s[i] <= '9') && s[i] != '.' &&
		    s[i] != '_' && s[i] != '-')
			return fail(why, wn, name, "topic '%.*s': a topic "
			    "name holds only letters, digits, '.', '_' and "
			    "'-'", (int)n, s);
	return 0;
}

static int
partition(const char *s, size_t n, int32_t *part, const char *name,
    char *why, size_t wn)
{
	uint64_t v;

	if (ex_off_parse(s, n, &v) || v > INT32_MAX)
		return fail(why, wn, name, "partition '%.*s': expected a "
		    "number, 0 to %d, without sign or leading zeros", (int)n,
		    s, INT32_MAX);
	*part = (int32_t)v;
	return 0;
}

static char *
dup(const char *s, size_t n)
{
	char *p = ex_malloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* The form's rules on what must and must not be there. */
static int
form_ok(int form, const char *slash, const char *at, const char *name,
    char *why, size_t wn)
{
	if (form != EX_KURL_LIST && !slash)
		return fail(why, wn, name, "no partition (expected "
		    "kafka://BROKERS/TOPIC/PARTITION%s)",
		    form == EX_KURL_STORE ? "@GROUP" : "");
	if (form == EX_KURL_STORE && !at)
		return fail(why, wn, name, "no group: an offset store is "
		    "kafka://BROKERS/TOPIC/PARTITION@GROUP");
	if (form == EX_KURL_LOG && at)
		return fail(why, wn, name, "a log names no group (the "
		    "group's offset is a store: give it to -o)");
	if (at && at[1] == '\0')
		return fail(why, wn, name, "empty group after '@'");
	return 0;
}

int
ex_kurl_parse(const char *name, int form, struct ex_kurl *u, char *why,
    size_t wn)
{
	const char *b, *t, *tend, *slash, *at;

	memset(u, 0, sizeof *u);
	u->partition = -1;
	if (!ex_kafka_name(name))
		return fail(why, wn, name, "not a kafka:// name");
	b = name + strlen(PREFIX);
	if (!(t = strchr(b, '/')))
		return fail(why, wn, name, "no topic (expected "
		    "kafka://BROKERS/TOPIC...)");
	if (brokers(b, (size_t)(t - b), name, why, wn) < 0)
		return -1;
	t++;
	/* a topic holds neither '/' nor '@'; a group may hold both */
	tend = t + strcspn(t, "/@");
	slash = *tend == '/' ? tend : NULL;
	at = strchr(slash ? slash : tend, '@');
	if (topic(t, (size_t)(tend - t), name, why, wn) < 0 ||
	    form_ok(form, slash, at, name, why, wn) < 0)
		return -1;
	if (slash && partition(slash + 1, (size_t)((at ? at :
	    slash + strlen(slash)) - slash - 1), &u->partition, name, why,
	    wn) < 0)
		return -1;
	u->brokers = dup(b, (size_t)(t - 1 - b));
	u->topic = dup(t, (size_t)(tend - t));
	u->group = at ? dup(at + 1, strlen(at + 1)) : NULL;
	return 0;
}

void
ex_kurl_free(struct ex_kurl *u)
{
	free(u->brokers);
	free(u->topic);
	free(u->group);
	memset(u, 0, sizeof *u);
	u->partition = -1;
}

char *
ex_kafka_logof(const char *store)
{
	struct ex_kurl u;
	char why[512], *log;

	if (ex_kurl_parse(store, EX_KURL_STORE, &u, why, sizeof why) < 0)
		ex_diex(EXIT_USAGE, "%s", why);
	ex_kurl_free(&u);
	log = ex_strjoin(store, "");
	/* brokers and topic hold no '@': the first one starts the group */
	*strchr(log + strlen(PREFIX), '@') = '\0';
	return log;
}
