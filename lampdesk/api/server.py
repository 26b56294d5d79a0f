"""An OpenAI-compatible HTTP API on loopback that answers *as the user* (FastAPI + uvicorn).

Generation runs on the engine's owner thread, one request at a time; a few more wait in a queue,
and beyond that requests get 429 at once. Bodies are limited in size, requests in rate, and each
request is logged without any user text.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import secrets
import threading
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping, Sequence
from typing import Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from lampdesk.app import LampDesk, Session
from lampdesk.conversations import history_from_messages, search_text
from lampdesk.errors import LampdeskError, UsageError
from lampdesk.inference.engine import GenerationSettings
from lampdesk.prompting.builder import HistoryTurn
from lampdesk.resident import Commands, ResidentServer

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
MAX_QUEUED = 4  # generations waiting behind the running one
RATE_PER_MINUTE = 120
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str = Field(max_length=100_000)


class LampdeskOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    profile: str | None = Field(default=None, max_length=64)
    personalize: bool = True


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    model: str | None = Field(default=None, max_length=200)
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool = False
    max_tokens: int | None = Field(default=None, ge=1, le=1024)
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    lampdesk: LampdeskOptions = Field(default_factory=LampdeskOptions)


class EmbeddingRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    input: str | list[str] = Field(max_length=256)
    model: str | None = Field(default=None, max_length=200)


def check_loopback(host: str) -> None:
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise UsageError(
            f"The API only listens on this computer (127.0.0.1, ::1 or localhost), not {host!r}."
        )


class ApiService:
    """What the HTTP layer calls: profiles, the one-at-a-time generation queue, the log."""

    def __init__(
        self,
        app: LampDesk,
        default_profile: str,
        token: str,
        *,
        rate_per_minute: int = RATE_PER_MINUTE,
    ) -> None:
        self.app = app
        self.rate_per_minute = rate_per_minute
        self.default_profile = default_profile
        self.token = token
        #: The profiles held open in the app's session owner (shared with the other front ends).
        self._held: set[str] = set()
        self._held_lock = threading.Lock()
        self._generation = threading.Lock()
        self._waiting = 0
        self._waiting_lock = threading.Lock()
        self._hits: deque[float] = deque()

    def session(self, name: str | None) -> Session:
        name = name or self.default_profile
        with self._held_lock:
            if name not in self._held:
                # The served profile is made on first use, as everywhere else; others must exist.
                self.app.acquire(name, create=name == self.default_profile)
                self._held.add(name)
            return self.app.sessions.get(name)

    def admit(self) -> bool:
        """Take a place in the generation queue; ``False`` when it is full."""
        with self._waiting_lock:
            if self._waiting > MAX_QUEUED:
                return False
            self._waiting += 1
            return True

    def leave(self) -> None:
        with self._waiting_lock:
            self._waiting -= 1

    def rate_ok(self) -> bool:
        now = time.monotonic()
        while self._hits and now - self._hits[0] > 60:
            self._hits.popleft()
        if len(self._hits) >= self.rate_per_minute:
            return False
        self._hits.append(now)
        return True

    def log(self, line: dict[str, Any]) -> None:
        path = self.app.paths.api_log_file
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(line) + "\n")

    def close(self) -> None:
        with self._held_lock:
            for name in self._held:
                self.app.release(name)
            self._held.clear()


class Guard:
    """Outermost layer: bodies over :data:`MAX_BODY_BYTES` get 413 (announced or streamed), and
    every request is logged with method, path, status and time, never with its body."""

    def __init__(
        self, app: Callable[[Scope, Receive, Send], Awaitable[None]], service: ApiService
    ) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [0]

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self._limited(scope, receive, send_logged)
        finally:
            self.service.log(
                {
                    "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
                    "method": scope.get("method", ""),
                    "path": scope.get("path", ""),
                    "status": status[0],
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                }
            )

    async def _limited(self, scope: Scope, receive: Receive, send: Send) -> None:
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
            await _too_large(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > MAX_BODY_BYTES:
                raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _BodyTooLarge:
            await _too_large(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    response = JSONResponse(
        {"error": {"message": f"The body is over {MAX_BODY_BYTES} bytes.", "type": "too_large"}},
        status_code=413,
    )
    await response(scope, receive, send)


def create_app(service: ApiService) -> FastAPI:
    api = FastAPI(title="LampDesk personal API", version="1")

    async def authorised(request: Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(token, service.token):
            raise HTTPException(401, "A valid bearer token is needed (see 'lampdesk serve').")
        if not service.rate_ok():
            raise HTTPException(429, "Too many requests: try again in a minute.")

    @api.exception_handler(LampdeskError)
    async def known_error(request: Request, exc: LampdeskError) -> JSONResponse:
        return JSONResponse(
            {"error": {"message": str(exc), "type": type(exc).__name__}}, status_code=400
        )

    @api.get("/v1/models", dependencies=[Depends(authorised)])
    async def models() -> dict[str, Any]:
        data = [
            {"id": m.name, "object": "model", "created": 0, "owned_by": "lampdesk"}
            for m in service.app.models.models()
        ]
        return {"object": "list", "data": data}

    @api.post("/v1/embeddings", dependencies=[Depends(authorised)])
    async def embeddings(body: EmbeddingRequest) -> dict[str, Any]:
        texts = [body.input] if isinstance(body.input, str) else body.input
        if not texts or any(len(t) > 20_000 for t in texts):
            raise HTTPException(400, "Give 1-256 texts of at most 20,000 characters.")
        vectors = await run_in_threadpool(service.app.embedder.embed, texts)
        return {
            "object": "list",
            "model": service.app.embedder.name,
            "data": [
                {"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)
            ],
            "usage": {"prompt_tokens": 0, "total_tokens": 0},
        }

    @api.post("/v1/chat/completions", dependencies=[Depends(authorised)], response_model=None)
    async def chat(body: ChatRequest) -> Any:
        question = next((m.content for m in reversed(body.messages) if m.role == "user"), "")
        if not question.strip():
            raise HTTPException(400, "The request has no user message to answer.")
        session = await run_in_threadpool(service.session, body.lampdesk.profile)
        overrides = {
            k: str(v)
            for k, v in (("max_tokens", body.max_tokens), ("temperature", body.temperature))
            if v is not None
        }
        settings = session.generation(**overrides)
        if not service.admit():
            raise HTTPException(429, "LampDesk is busy: the queue is full, try again shortly.")
        completion_id = "chatcmpl-" + uuid.uuid4().hex[:20]
        if body.stream:
            return StreamingResponse(
                _stream(service, session, question, body, settings, completion_id),
                media_type="text/event-stream",
            )
        try:
            result = await run_in_threadpool(
                _ask,
                service,
                session,
                question,
                body.lampdesk.personalize,
                settings,
                None,
                history_from_messages(body.messages),
            )
        finally:
            service.leave()
        return {
            "id": completion_id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": result.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": result.answer},
                    "finish_reason": "length" if result.stopped_by == "length" else "stop",
                }
            ],
            "usage": {
                "prompt_tokens": result.prompt_tokens,
                "completion_tokens": result.tokens,
                "total_tokens": result.prompt_tokens + result.tokens,
            },
            "lampdesk": _lampdesk_info(result),
        }

    return api


def _ask(
    service: ApiService,
    session: Session,
    question: str,
    personalize: bool,
    settings: GenerationSettings,
    on_chunk: Callable[[str], None] | None,
    history: Sequence[HistoryTurn] = (),
) -> Any:
    with service._generation:
        return session.assistant.ask(
            question,
            personalize=personalize,
            settings=settings,
            on_chunk=on_chunk,
            # The request's earlier messages are the thread (lampdesk/conversations.py).
            history=history,
            search_text=search_text(question, history),
        )


def _lampdesk_info(result: Any) -> dict[str, Any]:
    return {
        "request_id": result.request_id,
        "personalized": result.personalized,
        "mode": result.mode,
        "items": [{"id": i.id, "score": round(i.score, 5), "why": i.why} for i in result.items],
        # The caller is the user (loopback, their token): the exact prompt is theirs to see.
        "messages": result.messages,
        "ttft_ms": result.ttft_ms,
        "constraints": result.constraints,
        "warnings": result.warnings,
    }


async def _stream(
    service: ApiService,
    session: Session,
    question: str,
    body: ChatRequest,
    settings: GenerationSettings,
    completion_id: str,
) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    def on_chunk(text: str) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, ("chunk", text))

    def work() -> None:
        try:
            history = history_from_messages(body.messages)
            personalize = body.lampdesk.personalize
            result = _ask(service, session, question, personalize, settings, on_chunk, history)
            loop.call_soon_threadsafe(queue.put_nowait, ("done", result))
        except LampdeskError as exc:
            loop.call_soon_threadsafe(queue.put_nowait, ("error", exc))
        except Exception as exc:  # a bug: the client is told so, the log gets the traceback
            log.exception("streaming an answer failed")
            loop.call_soon_threadsafe(queue.put_nowait, ("error", exc))
        finally:
            service.leave()

    threading.Thread(target=work, name="api-generation", daemon=True).start()

    def event(delta: dict[str, Any], finish: str | None, extra: dict[str, Any]) -> str:
        chunk = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": session.assistant.engine.model_name,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(chunk)}\n\n"

    yield event({"role": "assistant"}, None, {})
    while True:
        kind, value = await queue.get()
        if kind == "chunk":
            yield event({"content": value}, None, {})
        elif kind == "done":
            finish = "length" if value.stopped_by == "length" else "stop"
            yield event({}, finish, {"lampdesk": _lampdesk_info(value)})
            break
        else:
            message = str(value) if isinstance(value, LampdeskError) else "internal error"
            yield f"data: {json.dumps({'error': {'message': message}})}\n\n"
            break
    yield "data: [DONE]\n\n"


def serve(
    app: LampDesk, profile: str, host: str, port: int, token: str, commands: Commands
) -> None:
    """Run the API until interrupted (blocking); ``commands`` runs forwarded commands."""
    import uvicorn

    check_loopback(host)
    service = ApiService(app, profile, token)
    service.session(profile)  # open (and unlock) the default profile before listening
    resident = ResidentServer(app.paths, commands(app))
    config = uvicorn.Config(
        Guard(create_app(service), service),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
    )
    try:
        uvicorn.Server(config).run()
    finally:
        resident.stop()
        service.close()
