"""What journeys do to a running embedded stack: restart an instance, stop and start its database, break and mend
its export store, and start the services only some journeys need."""

import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from support.stack.embedded_postgres import EmbeddedPostgres
from support.stack.identity_providers import IdentityProvider, MisbehavingProviders
from support.stack.platform_process import SIBLING_APIS, PlatformProcess, StackSecrets
from support.stack.processes import Restart
from support.stack.service_errors import NotConfigured


class StackDrills:
    """What journeys do to a running stack: restart an instance, stop and start its database, break and mend its
    export store, and start the services only some journeys need. EmbeddedStack holds the parts."""

    platforms: list[PlatformProcess]
    siblings: dict[str, PlatformProcess]
    postgres: EmbeddedPostgres | None
    identity_provider: IdentityProvider | None
    misbehaving_providers: MisbehavingProviders | None
    secrets: StackSecrets | None
    spawner: ThreadPoolExecutor
    workdir: Path
    export_store: Path

    @property
    def base_url(self) -> str:
        raise NotImplementedError

    @property
    def database_url(self) -> str:
        raise NotImplementedError

    def restart(self, base_url: str, sig: signal.Signals) -> Restart:
        """Restart the instance at `base_url` after stopping it with `sig`; when it was signalled and exited."""
        [platform] = [platform for platform in self.platforms if platform.base_url == base_url]
        return self.spawner.submit(platform.restart, sig).result()

    def stop_database(self) -> None:
        """Stop the stack's own PostgreSQL (a fast shutdown: sessions end, the port closes)."""
        self.spawner.submit(self._own_postgres().stop).result()

    def start_database(self) -> None:
        """Start the stack's PostgreSQL again on its port, its data as it was."""
        postgres = self._own_postgres()
        if postgres.process is None or postgres.process.poll() is not None:
            self.spawner.submit(postgres.serve, postgres.port).result()

    def _own_postgres(self) -> EmbeddedPostgres:
        if self.postgres is None:
            raise NotConfigured(
                f"The database outage journeys stop the stack's own PostgreSQL; this run uses {self.database_url}"
            )
        return self.postgres

    def break_export_store(self) -> None:
        """Put a file where the export store's directory is: nothing can be written there until mended."""
        if self.export_store.is_dir():
            self.export_store.rename(self.export_store.with_name(f"{self.export_store.name}.away"))
        self.export_store.write_text("the export store is broken on purpose by a journey\n")

    def mend_export_store(self) -> None:
        if self.export_store.is_file():
            self.export_store.unlink()
        away = self.export_store.with_name(f"{self.export_store.name}.away")
        if away.is_dir():
            away.rename(self.export_store)

    def start_misbehaving_providers(self) -> None:
        """Start the misbehaving identity providers, unless they run already."""
        self.spawner.submit(self._start_misbehaving_providers).result()

    def _start_misbehaving_providers(self) -> None:
        assert self.misbehaving_providers is not None
        if self.misbehaving_providers.process is None:
            self.misbehaving_providers.spawn()
            self.misbehaving_providers.wait_ready()

    def sibling_apis(self) -> dict[str, str]:
        """Other APIs of this deployment, started on first asking: same database and signing key, each unlike
        the platform in one thing (SIBLING_APIS); their base URLs by that thing."""
        return self.spawner.submit(self._sibling_apis).result()

    def _sibling_apis(self) -> dict[str, str]:
        assert self.identity_provider and self.secrets
        if not self.siblings:
            for kind, differences in SIBLING_APIS.items():
                sibling = PlatformProcess(self.workdir, f"sibling-{kind}", (), self.export_store, differences)
                sibling.start(self.database_url, self.base_url, self.identity_provider.registrations(), self.secrets)
                self.siblings[kind] = sibling
            for sibling in self.siblings.values():
                sibling.wait_ready()
        return {kind: sibling.base_url for kind, sibling in self.siblings.items()}
