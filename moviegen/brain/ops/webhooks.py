"""Webhooks: a project's producer points its events at a URL; the brain signs and delivers them (see
moviegen.services.webhooks). Every change is announced on the bus — without the URL, which may itself be a
secret (chat services put their token in it), and never with the signing secret."""

from __future__ import annotations

from typing import Any


class WebhookOps:
    def _webhook_dispatcher(self):
        """The brain's webhook sender (made in __init__, listening from the start; a brain server starts its
        thread at once to send what earlier processes left queued)."""
        from moviegen.services.webhooks.dispatcher import Dispatcher

        dispatcher = Dispatcher(self.bus, self.settings.webhooks, self.store.path_of, self.store.slugs, self.jobs.get)
        if self.mode == "brain server":
            dispatcher.start()
        return dispatcher

    def _webhook_store(self, project_id: str, webhook_id: str | None = None):
        """The project's webhook store; with ``webhook_id``, only if there is one (else the webhook's own
        NotFoundError, and no file is made)."""
        from moviegen.core.errors import NotFoundError
        from moviegen.services.webhooks.store import WebhookStore, exists

        path = self.project(project_id).path
        if webhook_id is not None and not exists(path):
            raise NotFoundError(f"no webhook '{webhook_id}' in this project",
                                f"add one with 'moviegen webhook add {project_id} URL --events ...'")  # fmt: skip
        return WebhookStore(path)

    def webhook_add(self, project_id: str, url: str, events: list[str]) -> dict[str, Any]:
        from moviegen.services.webhooks.events import check_events
        from moviegen.services.webhooks.urls import check_url

        self.project(project_id)
        url, names = check_url(url, self.settings.webhooks.allow_private), check_events(events)
        with self._webhook_store(project_id) as store:
            made = store.add(url, names)
        self._webhooks.wake(project_id)
        self.bus.publish("webhook.added", project=project_id, webhook=made["id"], events=names)
        return made

    def webhook_list(self, project_id: str) -> list[dict[str, Any]]:
        from moviegen.services.webhooks.store import exists

        if not exists(self.project(project_id).path):
            return []
        with self._webhook_store(project_id) as store:
            return store.list()

    def webhook_remove(self, project_id: str, webhook_id: str) -> dict[str, Any]:
        with self._webhook_store(project_id, webhook_id) as store:
            removed = store.remove(webhook_id)
        self.bus.publish("webhook.removed", project=project_id, webhook=webhook_id)
        return removed

    def webhook_enable(self, project_id: str, webhook_id: str) -> dict[str, Any]:
        with self._webhook_store(project_id, webhook_id) as store:
            view = store.enable(webhook_id)
        self._webhooks.wake(project_id)
        self.bus.publish("webhook.enabled", project=project_id, webhook=webhook_id)
        return view

    def webhook_test(self, project_id: str, webhook_id: str) -> dict[str, Any]:
        from moviegen.services.webhooks.dispatcher import test_delivery

        project = self.project(project_id)
        with self._webhook_store(project_id, webhook_id) as store:
            store.get(webhook_id)  # a missing webhook says so before anything is sent
        return test_delivery(project.path, webhook_id, self.settings.webhooks, project_id)

    def webhook_log(self, project_id: str, webhook_id: str, limit: int = 50) -> list[dict[str, Any]]:
        with self._webhook_store(project_id, webhook_id) as store:
            return store.log(webhook_id, limit)
