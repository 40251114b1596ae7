"""The shared cache, made to degrade: when Redis is unreachable or slow, every call answers as an
empty cache would (a miss, nothing stored), so pages are built afresh and still answer 200. A
short socket timeout bounds how long a call can wait for Redis."""

import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


def _missing_key(key, *args, **kwargs):
    raise ValueError(f"Key '{key}' not found (the cache is unavailable)")


# What an empty cache answers to each call, given the call's arguments.
EMPTY_ANSWERS = {
    "get": lambda key, default=None, *args, **kwargs: default,
    "get_many": lambda *args, **kwargs: {},
    "has_key": lambda *args, **kwargs: False,
    "set": lambda *args, **kwargs: None,
    "set_many": lambda data, *args, **kwargs: list(data),  # the keys not stored
    "add": lambda *args, **kwargs: False,
    "incr": _missing_key,
    "touch": lambda *args, **kwargs: False,
    "delete": lambda *args, **kwargs: False,
    "delete_many": lambda *args, **kwargs: None,
    "clear": lambda *args, **kwargs: False,
}


class ForgivingRedisCache(RedisCache):
    pass


def _forgiving(name: str, answer):
    redis_call = getattr(RedisCache, name)

    def call(self, *args, **kwargs):
        try:
            return redis_call(self, *args, **kwargs)
        except RedisError as error:
            log.warning("cache unavailable (%s): %s; going on without it", name, error)
            return answer(*args, **kwargs)

    call.__name__ = name
    return call


for _name, _answer in EMPTY_ANSWERS.items():
    setattr(ForgivingRedisCache, _name, _forgiving(_name, _answer))
