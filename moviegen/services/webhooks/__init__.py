"""Webhooks: a project's subscribers hear of its events over HTTP, signed as Standard Webhooks says, from a
persistent outbox (at least once, retried with backoff, surviving a restart), with a delivery log, turned off
after a run of failures. store: subscriptions, outbox, log; events: the names and bodies; urls: where a
webhook may point; sender: one signed attempt; dispatcher: the thread that delivers."""
