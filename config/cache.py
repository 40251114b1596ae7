"""The shared cache, made to degrade: when Redis is unreachable or slow, every call answers as an
empty cache would (a miss, nothing stored), so pages are built afresh and still answer 200. A
short socket timeout bounds how long a call can wait for Redis."""

import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class ForgivingRedisCache(RedisCache):
    def _down(self, operation: str, error: RedisError) -> None:
        log.warning("cache unavailable (%s): %s; going on without it", operation, error)

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except RedisError as error:
            self._down("get", error)
            return default

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except RedisError as error:
            self._down("get_many", error)
            return {}

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except RedisError as error:
            self._down("has_key", error)
            return False

    def set(self, key, value, timeout=None, version=None):
        try:
            super().set(key, value, timeout, version)
        except RedisError as error:
            self._down("set", error)

    def set_many(self, data, timeout=None, version=None):
        try:
            return super().set_many(data, timeout, version)
        except RedisError as error:
            self._down("set_many", error)
            return list(data)

    def add(self, key, value, timeout=None, version=None):
        try:
            return super().add(key, value, timeout, version)
        except RedisError as error:
            self._down("add", error)
            return False

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except RedisError as error:
            self._down("incr", error)
            raise ValueError(f"Key '{key}' not found (the cache is unavailable)") from error

    def touch(self, key, timeout=None, version=None):
        try:
            return super().touch(key, timeout, version)
        except RedisError as error:
            self._down("touch", error)
            return False

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except RedisError as error:
            self._down("delete", error)
            return False

    def delete_many(self, keys, version=None):
        try:
            super().delete_many(keys, version)
        except RedisError as error:
            self._down("delete_many", error)

    def clear(self):
        try:
            return super().clear()
        except RedisError as error:
            self._down("clear", error)
            return False
