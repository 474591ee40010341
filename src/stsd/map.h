/* map.h - a bounded string-keyed hash map with insertion order, for the
 * answer cache, the remembered policies and the smtp process table.
 * When full, the oldest entry (by insertion or last map_touch) goes.
 * Not thread-safe: each map belongs to the event-loop thread. */
#ifndef INKAN_STSD_MAP_H
#define INKAN_STSD_MAP_H

#include <stddef.h>

struct map;

struct map *map_new(size_t max, void (*free_val)(void *));
void map_free(struct map *m);
void *map_get(struct map *m, const char *key);
/* Insert or replace (the old value is freed).  0, or -1 out of memory
 * (val is freed then). */
int map_put(struct map *m, const char *key, void *val);
void map_del(struct map *m, const char *key);
/* Make key the newest (least likely to be evicted). */
void map_touch(struct map *m, const char *key);
void map_clear(struct map *m);
size_t map_count(const struct map *m);

#endif
