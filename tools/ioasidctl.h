/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ioasidctl.h - what ioasidctl's files share: the exit statuses, the printers for people
 * (ioasidctl_text.c) and the SVG map of an IOAS (ioasidctl_svg.c). ioasidctl.c parses the
 * command line and talks to the daemon's control channel.
 *
 * Every printer takes the daemon's JSON reply as it came and prints what is in it; a field
 * that is missing is shown as "-", never guessed.
 */
#ifndef IOASIDCTL_H
#define IOASIDCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

/* Exit statuses (docs/ioasidctl.md) */
enum ctl_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_ERROR = 1,	  /* the daemon answered with an error (no such object ...) */
	CTL_EXIT_USAGE = 2,	  /* bad arguments */
	CTL_EXIT_NO_DAEMON = 3,	  /* no daemon runs at that socket */
	CTL_EXIT_UNSUPPORTED = 4, /* the object kind does not exist in this build */
};

/* json helpers */
struct json_object *jget(struct json_object *o, const char *key);
const char *jstr(struct json_object *o, const char *key); /* "-" if missing */
uint64_t jnum(struct json_object *o, const char *key);	  /* numbers and "0x.." strings */

/* ioasidctl_text.c */
void text_status(FILE *f, struct json_object *r);
void text_objects(FILE *f, struct json_object *r);
void text_ioas(FILE *f, struct json_object *r);
void text_pt(FILE *f, struct json_object *r);
void text_iotlb(FILE *f, struct json_object *r);
void text_faults(FILE *f, struct json_object *r);

/* ioasidctl_svg.c: a picture of one IOAS (the "context" member of an ioas reply) */
int svg_write_ioas(FILE *f, struct json_object *ioas);

#endif
