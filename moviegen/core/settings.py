"""Settings: MOVIEGEN_* environment variables over the config file over defaults."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from moviegen.core import locations
from moviegen.core.models import FilmFormat


class ProviderChoice(BaseModel):
    """Provider chains per capability, in order of preference (``name`` or ``name:model``). Text goes through
    the router (moviegen.brain.router): the first configured provider that answers, falling back down the
    chain. ``embedding`` 'auto' picks Jina when JINA_API_KEY is set, else the offline model."""

    # online providers that are not configured (no key, no URL) are passed over; an offline one ends each chain
    text: list[str] = Field(default_factory=lambda: ["openrouter", "openai-compat", "story-writer"])
    image: list[str] = Field(default_factory=lambda: ["fal", "storyboard-painter"])
    speech: list[str] = Field(default_factory=lambda: ["elevenlabs", "espeak-ng"])
    music: list[str] = Field(default_factory=lambda: ["score-synth"])
    # sound effects for action lines that name a sound ('a door slams'); none offline: the film has its ambience
    sound: list[str] = Field(default_factory=lambda: ["elevenlabs"])
    # 'auto': a project keeps the embedder its vectors were made with; new ones use Jina when
    # JINA_API_KEY is set, else the offline static model
    embedding: list[str] = Field(default_factory=lambda: ["auto"])
    # image-to-3D for the cast's models (fed the character's sheet); not configured: the procedural models
    model3d: list[str] = Field(default_factory=lambda: ["fal"])
    # image-to-video for shots marked motion = "video"; not configured (no FAL_KEY): those shots stay stills
    video: list[str] = Field(default_factory=lambda: ["fal"])


class JinaSettings(BaseModel):
    model: str = "jina-embeddings-v4"
    dim: int = 1024  # Matryoshka truncation: 128..2048
    url: str = "https://api.jina.ai/v1/embeddings"
    timeout: float = 30.0


class FalSettings(BaseModel):
    """How the FAL queue is waited on (MOVIEGEN_FAL__*): polls start at ``poll_interval`` and slow to
    ``max_poll_interval``; a request not finished by its deadline is cancelled at FAL."""

    poll_interval: float = 0.25  # seconds: a status poll is cheap and a still is often done in one or two
    max_poll_interval: float = 1.0  # polls slow down to this while nothing changes (and speed up when it does)
    deadline: float = 300.0  # seconds a still may take, queue included
    video_deadline: float = 900.0  # seconds a clip may take
    max_download_mb: float = 200.0  # a result file larger than this is refused


class WebhookSettings(BaseModel):
    """How webhooks are delivered (MOVIEGEN_WEBHOOKS__*). A failed delivery is tried again after each wait of
    ``backoff`` in turn (JSON list of seconds), then given up; ``disable_after`` failed attempts in a row turn
    the webhook off. Loopback, private and link-local receivers are refused unless ``allow_private``: a brain
    should not be made to knock on its own network's doors."""

    timeout: float = 10.0  # seconds per delivery attempt
    backoff: list[float] = Field(default_factory=lambda: [5.0, 30.0, 120.0, 600.0, 3600.0])
    disable_after: int = Field(default=10, ge=1)
    allow_private: bool = False
    keep_log: int = Field(default=1000, ge=10)  # delivery log entries kept per webhook


class KnowledgeSettings(BaseModel):
    backend: str = "auto"  # auto (neo4j when NEO4J_URI is set) | sqlite | neo4j
    ann_threshold: int = 20_000  # vectors per project before the HNSW index takes over
    neo4j_database: str | None = None


class RouterSettings(BaseModel):
    """How the brain calls providers: per attempt timeout, retries with backoff (Retry-After honoured), a
    circuit breaker and a rate limit per provider."""

    timeout: float = 60.0  # seconds per attempt
    retries: int = 2  # retries per provider before falling back to the next
    backoff: float = 0.5  # first retry waits this long, doubling each time (capped by max_backoff)
    max_backoff: float = 20.0
    breaker_failures: int = 5  # consecutive failures that open a provider's circuit
    breaker_cooldown: float = 30.0  # seconds before an open circuit lets one call through again
    rpm: int = 600  # requests per minute per provider
    concurrency: int = 8  # calls in flight per provider
    # per-provider overrides: FAL queues requests on its side and runs as many as the account may, so more may wait
    # there than run (a free runner starts the next at once, no poll in between)
    provider_concurrency: dict[str, int] = Field(default_factory=lambda: {"fal": 64})


class Price(BaseModel):
    """What a provider/model costs when it does not report the cost itself (USD)."""

    input_per_mtok: float = 0.0  # per million input tokens
    output_per_mtok: float = 0.0
    per_image: float = 0.0
    per_second: float = 0.0  # of audio or video
    per_kchar: float = 0.0  # per thousand characters of speech


class AssetSettings(BaseModel):
    """The shared asset store (MOVIEGEN_ASSETS__*): with ``s3_url`` set, workers on other machines fetch inputs
    and put outputs by content hash in an S3-compatible bucket (moviegen.workers.assets); unset, the project's
    assets/ folder is the only store. Credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION."""

    s3_url: str | None = None  # the endpoint, e.g. http://127.0.0.1:9000 (MinIO) or https://s3.eu-west-1.amazonaws.com
    s3_bucket: str = "moviegen-assets"
    s3_prefix: str = "assets"  # objects are <prefix>/<sha[:2]>/<sha>.<ext>, shared by every project
    timeout: float = 30.0  # seconds to connect and per read
    worker_cache_mb: int = 4096  # a worker's local copy of the store, trimmed to this after its steps (asset_cache.py)


class CelerySettings(BaseModel):
    """The Celery executor's broker behaviour (MOVIEGEN_CELERY__*). A step taken by a worker that then dies whole
    (kill -9, a lost machine) stays unacknowledged in Redis; any live worker puts it back in its queue once it is
    ``visibility_timeout`` seconds old, looking every ``restore_interval`` seconds. A step still running past
    the timeout is handed out a second time too: harmless (steps are idempotent), but keep it above the longest.
    The default, 5 minutes, is several times a 60 s film's longest offline step (its mix, ~2 s); raise it for
    feature-length mixes."""

    visibility_timeout: float = 300.0
    restore_interval: float = 10.0


class ScheduleSettings(BaseModel):
    """Scheduled jobs (MOVIEGEN_SCHEDULE__*), run daily at a time of day in ``timezone``: asset garbage
    collection of every project (``moviegen gc --apply``) and a re-render of the projects whose moviegen.toml
    says ``nightly = true``. The brain server runs them itself; with Celery as the executor, Celery beat does
    (moviegen.workers.schedule_beat). An empty time turns that job off. ``moviegen schedule`` lists them."""

    enabled: bool = True
    gc_at: str = "03:30"  # HH:MM, daily
    nightly_at: str = "01:00"  # HH:MM, daily
    timezone: str = "UTC"  # an IANA name, e.g. Europe/Berlin


class JobSettings(BaseModel):
    """What a brain server does at start-up with the jobs the last one left unfinished (MOVIEGEN_JOBS__*): with
    ``resume`` it runs the newest job of each project again under its own id when that job was interrupted (a
    shutdown, or its process died) and started less than ``resume_max_age`` seconds ago
    (moviegen.workers.resume). Failed and cancelled jobs are never resumed."""

    resume: bool = True
    resume_max_age: float = Field(default=86400.0, ge=0)  # seconds since the job started; older ones stay interrupted


class OidcSettings(BaseModel):
    """Sign-in with an OpenID Connect provider on the web view (MOVIEGEN_OIDC__*; moviegen.brain.server.oidc):
    on when ``issuer`` and ``client_id`` are set. The claim ``user_claim`` of the id_token names an existing
    moviegen user; nobody is created. ``redirect_url``: the callback as registered at the provider when the
    brain is reached under another address (a proxy); default: this brain's own /auth/oidc/callback."""

    issuer: str | None = None  # e.g. https://id.example.com/realms/studio (discovery: {issuer}/.well-known/...)
    client_id: str | None = None
    client_secret: SecretStr | None = None  # a confidential client's; public clients rely on PKCE alone
    user_claim: str = "preferred_username"  # or "email", "sub"
    scope: str = "openid profile email"
    redirect_url: str | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.issuer and self.client_id)


class RenderDefaults(BaseModel):
    resolution: str = "1280x720"
    fps: int = 24
    aspect: str = "16:9"
    x264_preset: str = "superfast"  # flat storyboard art: 1.1x faster than veryfast, ~2x the bytes
    crf: int = 21
    workers: int = 0  # 0 = one per CPU core


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MOVIEGEN_",
        env_nested_delimiter="__",
        extra="ignore",
        populate_by_name=True,
    )

    home: Path = Field(default_factory=locations.home_dir)
    projects_dir: Path = Path("projects")
    seed: int = 7
    providers: ProviderChoice = Field(default_factory=ProviderChoice)
    render: RenderDefaults = Field(default_factory=RenderDefaults)
    debug: bool = False  # MOVIEGEN_DEBUG=1: full tracebacks, like --debug
    jina: JinaSettings = Field(default_factory=JinaSettings)
    fal: FalSettings = Field(default_factory=FalSettings)
    knowledge: KnowledgeSettings = Field(default_factory=KnowledgeSettings)
    router: RouterSettings = Field(default_factory=RouterSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    assets: AssetSettings = Field(default_factory=AssetSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    jobs: JobSettings = Field(default_factory=JobSettings)
    oidc: OidcSettings = Field(default_factory=OidcSettings)  # sign-in with an identity provider
    # where render steps run: 'local' (this machine's process pool) or 'celery' (moviegen worker on any machine,
    # through the Redis at redis_url, e.g. redis://127.0.0.1:6379/0)
    executor: Literal["local", "celery"] = "local"
    redis_url: str | None = None
    celery: CelerySettings = Field(default_factory=CelerySettings)
    # 'provider' or 'provider:model' -> price; a model's own entry wins over its provider's
    prices: dict[str, Price] = Field(default_factory=dict)
    # provider secrets: conventional names, read from the environment only, never printed
    jina_api_key: SecretStr | None = Field(default=None, validation_alias=AliasChoices("JINA_API_KEY"))
    neo4j_uri: str | None = Field(default=None, validation_alias=AliasChoices("NEO4J_URI"))
    neo4j_user: str = Field(default="neo4j", validation_alias=AliasChoices("NEO4J_USER", "NEO4J_USERNAME"))
    neo4j_password: SecretStr | None = Field(default=None, validation_alias=AliasChoices("NEO4J_PASSWORD"))
    openrouter_api_key: SecretStr | None = Field(default=None, validation_alias=AliasChoices("OPENROUTER_API_KEY"))
    openrouter_base_url: str = Field(
        default="https://openrouter.ai/api/v1", validation_alias=AliasChoices("OPENROUTER_BASE_URL")
    )
    openrouter_model: str = Field(default="openai/gpt-4o-mini", validation_alias=AliasChoices("OPENROUTER_MODEL"))
    openai_compat_base_url: str | None = Field(default=None, validation_alias=AliasChoices("OPENAI_COMPAT_BASE_URL"))
    openai_compat_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_COMPAT_API_KEY")
    )
    openai_compat_model: str | None = Field(default=None, validation_alias=AliasChoices("OPENAI_COMPAT_MODEL"))
    fal_key: SecretStr | None = Field(default=None, validation_alias=AliasChoices("FAL_KEY"))
    fal_queue_url: str = Field(default="https://queue.fal.run", validation_alias=AliasChoices("FAL_QUEUE_URL"))
    # per use: stills from a prompt; stills that keep the characters of their sheets; clips from a still
    fal_image_model: str = Field(default="fal-ai/flux/dev", validation_alias=AliasChoices("FAL_IMAGE_MODEL"))
    fal_reference_model: str = Field(
        default="fal-ai/bytedance/seedream/v4/edit", validation_alias=AliasChoices("FAL_REFERENCE_MODEL")
    )
    fal_video_model: str = Field(
        default="fal-ai/kling-video/v2.1/standard/image-to-video", validation_alias=AliasChoices("FAL_VIDEO_MODEL")
    )
    fal_3d_model: str = Field(default="fal-ai/trellis", validation_alias=AliasChoices("FAL_3D_MODEL"))
    elevenlabs_api_key: SecretStr | None = Field(default=None, validation_alias=AliasChoices("ELEVENLABS_API_KEY"))
    elevenlabs_base_url: str = Field(
        default="https://api.elevenlabs.io", validation_alias=AliasChoices("ELEVENLABS_BASE_URL")
    )
    elevenlabs_model: str = Field(default="eleven_multilingual_v2", validation_alias=AliasChoices("ELEVENLABS_MODEL"))
    # the shared asset store's credentials, by their standard names (unset: boto3's own chain, e.g. ~/.aws)
    aws_access_key_id: SecretStr | None = Field(default=None, validation_alias=AliasChoices("AWS_ACCESS_KEY_ID"))
    aws_secret_access_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("AWS_SECRET_ACCESS_KEY")
    )
    aws_region: str = Field(default="us-east-1", validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION"))

    def default_format(self) -> FilmFormat:
        """The format new projects start with."""
        return FilmFormat(resolution=self.render.resolution, fps=self.render.fps, aspect=self.render.aspect)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_source = TomlConfigSettingsSource(settings_cls, toml_file=locations.config_file())
        return (init_settings, env_settings, toml_source)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (tests and long-lived processes after env changes)."""
    get_settings.cache_clear()
