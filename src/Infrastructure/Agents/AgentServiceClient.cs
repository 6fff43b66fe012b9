using System.Net.Security;
using System.Security.Cryptography;
using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using Microsoft.Extensions.Logging;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Domain.Agents;
using Wrapper.Infrastructure.Upstream;

namespace Wrapper.Infrastructure.Agents;

/// <summary>
/// A small client of the Azure AI Foundry Agent Service REST API (routes of the official SDKs, <c>api-version</c> v1)
/// over an Azure.Core <see cref="HttpPipeline"/>: bearer tokens for <c>https://ai.azure.com/.default</c>, bounded
/// retries (<see cref="AgentServiceRetryPolicy"/>) and a per-try network timeout. Written by hand because
/// Azure.AI.Projects / Azure.AI.Agents.Persistent are not available here.
/// </summary>
/// <remarks>Every failure becomes an <see cref="UpstreamException"/>; only the caller's own cancellation escapes as
/// <see cref="OperationCanceledException"/>. Exception messages never contain tokens or upstream bodies.</remarks>
public sealed class AgentServiceClient : IDisposable
{
    /// <summary>The token scope of the Agent Service.</summary>
    public const string Scope = "https://ai.azure.com/.default";

    private readonly HttpPipeline _pipeline;
    private readonly Uri _endpoint;
    private readonly string _apiVersion;
    private readonly ILogger<AgentServiceClient> _logger;
    private readonly HttpMessageHandler _handler;

    public AgentServiceClient(AgentServiceOptions options, TokenCredential credential, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _endpoint = options.Endpoint ?? throw new InvalidOperationException($"No Agent Service endpoint: set {AgentServiceOptions.EndpointKey}.");
        _apiVersion = options.ApiVersion;
        _logger = loggerFactory.CreateLogger<AgentServiceClient>();

        _handler = CreateHandler(options);
        var clientOptions = new AgentServiceClientOptions
        {
            Transport = new HttpClientTransport(_handler),
            RetryPolicy = new AgentServiceRetryPolicy(options.MaxRetries, options.RetryBaseDelay, options.MaxRetryDelay,
                loggerFactory.CreateLogger<AgentServiceRetryPolicy>()),
        };
        clientOptions.Retry.NetworkTimeout = options.RequestTimeout;
        clientOptions.Diagnostics.IsLoggingContentEnabled = false;
        clientOptions.Diagnostics.IsTelemetryEnabled = false;
        _pipeline = HttpPipelineBuilder.Build(clientOptions, new BearerTokenAuthenticationPolicy(credential, Scope));
    }

    /// <summary>The error code of a prompt or answer the content filter blocked.</summary>
    public const string ContentFilterCode = "content_filter";

    /// <summary>Where the OpenAI-compatible routes of a project live (<c>{project}/openai/v1/responses</c>, ...).</summary>
    private static readonly string[] OpenAIV1Path = ["openai", "v1"];

    /// <summary>The project endpoint this client calls.</summary>
    public Uri Endpoint => _endpoint;

    /// <summary><c>GET /assistants/{agentId}</c>: proves the service answers, accepts us and knows the agent.</summary>
    public async Task GetAgentAsync(string agentId, CancellationToken cancellationToken) =>
        await SendAsync<AgentServiceWire.IdObject>(RequestMethod.Get, ["assistants", agentId], null, null, "agent", cancellationToken).ConfigureAwait(false);

    /// <summary><c>GET /assistants?limit=1</c>: proves the service answers and accepts us, without naming an agent.</summary>
    public async Task ListAgentsAsync(CancellationToken cancellationToken) =>
        await SendAsync<JsonElement>(RequestMethod.Get, ["assistants"], [("limit", "1")], null, "agent list", cancellationToken).ConfigureAwait(false);

    /// <summary><c>POST /threads</c>: a new, empty thread carrying <paramref name="metadata"/> (when given). Returns its id.</summary>
    public async Task<string> CreateThreadAsync(IReadOnlyDictionary<string, string>? metadata, CancellationToken cancellationToken)
    {
        var thread = await SendAsync<AgentServiceWire.IdObject>(RequestMethod.Post, ["threads"], null,
            new AgentServiceWire.CreateThreadRequest(metadata is { Count: > 0 } ? metadata : null), "thread", cancellationToken).ConfigureAwait(false);
        return RequireId(thread.Id, "thread");
    }

    /// <summary><c>GET /threads/{threadId}</c>: the thread's metadata (empty when it has none).</summary>
    /// <exception cref="UpstreamException"><see cref="UpstreamFailure.NotFound"/> when no such thread exists.</exception>
    public async Task<IReadOnlyDictionary<string, string>> GetThreadMetadataAsync(string threadId, CancellationToken cancellationToken)
    {
        var thread = await SendAsync<AgentServiceWire.ThreadObject>(RequestMethod.Get, ["threads", threadId], null, null, "thread",
            cancellationToken).ConfigureAwait(false);
        RequireId(thread.Id, "thread");
        return (thread.Metadata ?? [])
            .Where(pair => pair.Value is not null)
            .ToDictionary(pair => pair.Key, pair => pair.Value!, StringComparer.Ordinal);
    }

    /// <summary><c>POST /threads/{threadId}/messages</c> with a user message.</summary>
    public async Task AddUserMessageAsync(string threadId, string content, CancellationToken cancellationToken) =>
        await SendAsync<AgentServiceWire.IdObject>(RequestMethod.Post, ["threads", threadId, "messages"], null,
            new AgentServiceWire.CreateMessageRequest("user", content), "thread", cancellationToken).ConfigureAwait(false);

    /// <summary><c>POST /threads/{threadId}/runs</c> for the agent.</summary>
    public async Task<AgentRun> CreateRunAsync(string threadId, string agentId, CancellationToken cancellationToken)
    {
        var run = await SendAsync<AgentServiceWire.RunObject>(RequestMethod.Post, ["threads", threadId, "runs"], null,
            new AgentServiceWire.CreateRunRequest(agentId), "agent or thread", cancellationToken).ConfigureAwait(false);
        return ToRun(run, threadId);
    }

    /// <summary><c>GET /threads/{threadId}/runs/{runId}</c>.</summary>
    public async Task<AgentRun> GetRunAsync(string threadId, string runId, CancellationToken cancellationToken)
    {
        var run = await SendAsync<AgentServiceWire.RunObject>(RequestMethod.Get, ["threads", threadId, "runs", runId], null, null, "run",
            cancellationToken).ConfigureAwait(false);
        return ToRun(run, threadId);
    }

    /// <summary>The newest runs of a thread (<c>GET /threads/{threadId}/runs?order=desc&amp;limit=…</c>).</summary>
    public async Task<IReadOnlyList<AgentRun>> ListRunsAsync(string threadId, int limit, CancellationToken cancellationToken)
    {
        var list = await SendAsync<AgentServiceWire.RunList>(RequestMethod.Get, ["threads", threadId, "runs"],
            [("order", "desc"), ("limit", limit.ToString(System.Globalization.CultureInfo.InvariantCulture))], null, "thread", cancellationToken).ConfigureAwait(false);
        return (list.Data ?? []).Select(r => ToRun(r, threadId)).ToList();
    }

    /// <summary><c>POST /threads/{threadId}/runs/{runId}/cancel</c>.</summary>
    public async Task<AgentRun> CancelRunAsync(string threadId, string runId, CancellationToken cancellationToken)
    {
        var run = await SendAsync<AgentServiceWire.RunObject>(RequestMethod.Post, ["threads", threadId, "runs", runId, "cancel"], null, new { },
            "run", cancellationToken).ConfigureAwait(false);
        return ToRun(run, threadId);
    }

    /// <summary><c>DELETE /threads/{threadId}</c>.</summary>
    public async Task DeleteThreadAsync(string threadId, CancellationToken cancellationToken) =>
        await SendAsync<JsonElement>(RequestMethod.Delete, ["threads", threadId], null, null, "thread", cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// The newest assistant message of the run (<c>GET /threads/{threadId}/messages?order=desc&amp;run_id=…</c>), as raw
    /// text and annotations; null when the run wrote none. Several text parts are joined with a blank line and their
    /// annotation indexes shifted to match.
    /// </summary>
    public async Task<AgentReply?> GetAnswerAsync(string threadId, string runId, CancellationToken cancellationToken)
    {
        var list = await SendAsync<AgentServiceWire.MessageList>(RequestMethod.Get, ["threads", threadId, "messages"],
            [("order", "desc"), ("limit", "20"), ("run_id", runId)], null, "thread", cancellationToken).ConfigureAwait(false);

        var message = (list.Data ?? []).FirstOrDefault(m => m.Role == "assistant" && (m.RunId is null || m.RunId == runId));
        return message is null ? null : ReplyOf(message);
    }

    /// <summary><c>POST /threads/{threadId}/runs</c> with <c>stream: true</c>: the run's events (<c>thread.run.created</c>,
    /// <c>thread.message.delta</c>, <c>thread.message.completed</c>, <c>thread.run.completed</c>/<c>failed</c>/…, <c>done</c>)
    /// as they happen.</summary>
    internal Task<ServerSentEventStream> OpenRunStreamAsync(string threadId, string agentId, TimeSpan readTimeout, CancellationToken cancellationToken) =>
        OpenEventStreamAsync(RequestMethod.Post, ["threads", threadId, "runs"], new AgentServiceWire.CreateStreamingRunRequest(agentId, true),
            "agent or thread", openAIRoute: false, readTimeout, cancellationToken);

    /// <summary>The text and annotations of a thread message (several text parts joined with a blank line).</summary>
    internal static AgentReply ReplyOf(AgentServiceWire.MessageObject message)
    {
        var text = new System.Text.StringBuilder();
        var annotations = new List<TextAnnotation>();
        foreach (var part in message.Content ?? [])
        {
            if (part is not { Type: "text", Text: { } partText })
            {
                continue;
            }

            if (text.Length > 0)
            {
                text.Append("\n\n");
            }

            var offset = text.Length;
            text.Append(partText.Value);
            foreach (var annotation in partText.Annotations ?? [])
            {
                if (ToAnnotation(annotation, offset) is { } converted)
                {
                    annotations.Add(converted);
                }
            }
        }

        return new AgentReply(text.ToString(), annotations, null);
    }

    /// <summary>The api-version of the new agents' own routes (<c>/agents/...</c>): <c>v1</c>, whatever
    /// <see cref="AgentServiceOptions.ApiVersion"/> the classic routes use (their dated version, 2025-05-01, has no new agents).</summary>
    public const string NewAgentsApiVersion = "v1";

    /// <summary><c>GET /agents/{name}</c> (or <c>/agents/{name}/versions/{version}</c>) with api-version
    /// <see cref="NewAgentsApiVersion"/>: proves the service answers, accepts us and knows the new agent, without running it.</summary>
    public async Task GetNewAgentAsync(string name, string? version, CancellationToken cancellationToken) =>
        await SendAsync<ResponsesWire.AgentObject>(RequestMethod.Get, version is null ? ["agents", name] : ["agents", name, "versions", version],
            null, null, version is null ? $"agent '{name}'" : $"agent '{name}' version '{version}'", cancellationToken,
            apiVersion: NewAgentsApiVersion).ConfigureAwait(false);

    /// <summary><c>POST /openai/v1/conversations</c>: a new, empty conversation carrying <paramref name="metadata"/>
    /// (when given). Returns its id.</summary>
    public async Task<string> CreateConversationAsync(IReadOnlyDictionary<string, string>? metadata, CancellationToken cancellationToken)
    {
        var conversation = await SendAsync<ResponsesWire.ConversationObject>(RequestMethod.Post, ["conversations"], null,
            new ResponsesWire.CreateConversationRequest(metadata is { Count: > 0 } ? metadata : null), "conversation", cancellationToken,
            openAIRoute: true).ConfigureAwait(false);
        return RequireId(conversation.Id, "conversation");
    }

    /// <summary><c>GET /openai/v1/conversations/{id}</c>: the conversation's metadata (empty when it has none).</summary>
    /// <exception cref="UpstreamException"><see cref="UpstreamFailure.NotFound"/> when no such conversation exists.</exception>
    public async Task<IReadOnlyDictionary<string, string>> GetConversationMetadataAsync(string conversationId, CancellationToken cancellationToken)
    {
        var conversation = await SendAsync<ResponsesWire.ConversationObject>(RequestMethod.Get, ["conversations", conversationId], null, null,
            "conversation", cancellationToken, openAIRoute: true).ConfigureAwait(false);
        RequireId(conversation.Id, "conversation");
        return (conversation.Metadata ?? [])
            .Where(pair => pair.Value is not null)
            .ToDictionary(pair => pair.Key, pair => pair.Value!, StringComparer.Ordinal);
    }

    /// <summary><c>DELETE /openai/v1/conversations/{id}</c>.</summary>
    public async Task DeleteConversationAsync(string conversationId, CancellationToken cancellationToken) =>
        await SendAsync<JsonElement>(RequestMethod.Delete, ["conversations", conversationId], null, null, "conversation", cancellationToken,
            openAIRoute: true).ConfigureAwait(false);

    /// <summary><c>POST /openai/v1/responses</c>: runs the agent and waits for its response, up to
    /// <paramref name="timeout"/> (an agent's answer takes longer than one ordinary call).</summary>
    internal async Task<ResponsesWire.ResponseObject> CreateResponseAsync(ResponsesWire.CreateResponseRequest request, TimeSpan timeout,
        CancellationToken cancellationToken) =>
        await SendAsync<ResponsesWire.ResponseObject>(RequestMethod.Post, ["responses"], null, request with { Stream = null },
            "agent or conversation", cancellationToken, openAIRoute: true, networkTimeout: timeout).ConfigureAwait(false);

    /// <summary><c>GET /openai/v1/responses/{id}</c>.</summary>
    internal async Task<ResponsesWire.ResponseObject> GetResponseAsync(string responseId, CancellationToken cancellationToken) =>
        await SendAsync<ResponsesWire.ResponseObject>(RequestMethod.Get, ["responses", responseId], null, null, "response", cancellationToken,
            openAIRoute: true).ConfigureAwait(false);

    /// <summary><c>POST /openai/v1/responses</c> with <c>stream: true</c>: the response's events as they happen.</summary>
    internal Task<ServerSentEventStream> OpenResponseStreamAsync(ResponsesWire.CreateResponseRequest request, TimeSpan readTimeout,
        CancellationToken cancellationToken) =>
        OpenEventStreamAsync(RequestMethod.Post, ["responses"], request with { Stream = true }, "agent or conversation", openAIRoute: true,
            readTimeout, cancellationToken);

    /// <summary>The answer of a response: the text of its assistant messages' <c>output_text</c> parts (several joined with a
    /// blank line, annotation indexes shifted to match) and their <c>url_citation</c> and <c>file_citation</c> annotations;
    /// null when it has no assistant message.</summary>
    internal static AgentReply? ReplyOf(ResponsesWire.ResponseObject response)
    {
        var text = new System.Text.StringBuilder();
        var annotations = new List<TextAnnotation>();
        var messages = 0;
        foreach (var item in response.Output ?? [])
        {
            if (item is not { Type: "message" } || item.Role is not (null or "assistant"))
            {
                continue;
            }

            messages++;

            foreach (var part in item.Content ?? [])
            {
                if (part is not { Type: "output_text", Text: { } partText })
                {
                    continue;
                }

                if (text.Length > 0)
                {
                    text.Append("\n\n");
                }

                var offset = text.Length;
                text.Append(partText);
                annotations.AddRange((part.Annotations ?? []).Select(a => ToAnnotation(a, offset)));
            }
        }

        return messages == 0 ? null : new AgentReply(text.ToString(), annotations, null);
    }

    /// <summary>A Responses annotation as a <see cref="TextAnnotation"/>, its indexes shifted by <paramref name="offset"/>.</summary>
    internal static TextAnnotation ToAnnotation(ResponsesWire.OutputAnnotation annotation, int offset)
    {
        int? Shift(int? index) => index is { } i ? i + offset : null;
        return annotation.Type switch
        {
            "url_citation" => new TextAnnotation(CitationType.Url, annotation.Text ?? "", Shift(annotation.StartIndex), Shift(annotation.EndIndex),
                annotation.Url ?? "", annotation.Title),
            "file_citation" => new TextAnnotation(CitationType.File, annotation.Text ?? "", Shift(annotation.StartIndex), Shift(annotation.EndIndex),
                annotation.FileId ?? "", annotation.Filename),
            // Other kinds (file_path, container_file_citation, ...) cite nothing here, but a marker they name still goes.
            _ => new TextAnnotation(CitationType.Url, annotation.Text ?? "", Shift(annotation.StartIndex), Shift(annotation.EndIndex), ""),
        };
    }

    public void Dispose()
    {
        _handler.Dispose();
    }

    private static TextAnnotation? ToAnnotation(AgentServiceWire.Annotation annotation, int offset)
    {
        int? Shift(int? index) => index is { } i ? i + offset : null;
        return annotation.Type switch
        {
            "url_citation" => new TextAnnotation(CitationType.Url, annotation.Text ?? "", Shift(annotation.StartIndex), Shift(annotation.EndIndex),
                annotation.UrlCitation?.Url ?? "", annotation.UrlCitation?.Title),
            "file_citation" => new TextAnnotation(CitationType.File, annotation.Text ?? "", Shift(annotation.StartIndex), Shift(annotation.EndIndex),
                annotation.FileCitation?.FileId ?? "", Quote: annotation.FileCitation?.Quote),
            // Other kinds (file_path, ...) cite nothing, but their markers still go.
            _ => new TextAnnotation(CitationType.Url, annotation.Text ?? "", Shift(annotation.StartIndex), Shift(annotation.EndIndex), ""),
        };
    }

    internal static AgentRun ToRun(AgentServiceWire.RunObject run, string threadId) =>
        new(RequireId(run.Id, "run"), threadId,
            string.IsNullOrEmpty(run.Status) ? throw BadResponse("a run without a status") : run.Status,
            run.LastError?.Code, run.LastError?.Message, run.IncompleteDetails?.Reason);

    private static string RequireId(string? id, string what) =>
        string.IsNullOrEmpty(id) ? throw BadResponse($"a {what} without an id") : id;

    private static UpstreamException BadResponse(string what) =>
        new(UpstreamFailure.BadResponse, $"The Agent Service answered with {what}.");

    private async Task<T> SendAsync<T>(RequestMethod method, string[] path, (string Name, string Value)[]? query, object? body, string what,
        CancellationToken cancellationToken, bool openAIRoute = false, TimeSpan? networkTimeout = null, string? apiVersion = null)
    {
        using var message = CreateMessage(method, path, query, body, openAIRoute, "application/json", apiVersion);
        if (networkTimeout is { } timeout)
        {
            message.NetworkTimeout = timeout;
        }

        await SendMessageAsync(message, what, cancellationToken).ConfigureAwait(false);
        var response = message.Response;

        if (typeof(T) == typeof(JsonElement) && response.Content.ToMemory().IsEmpty)
        {
            // Deletions and probes need no body.
            return default!;
        }

        try
        {
            return response.Content.ToObjectFromJson<T>(AgentServiceWire.Json)
                   ?? throw BadResponse($"an empty {what}");
        }
        catch (JsonException ex)
        {
            _logger.LogWarning("The Agent Service answered {Method} {What} with unreadable JSON: {Error}", method, what, ex.Message);
            throw new UpstreamException(UpstreamFailure.BadResponse, $"The Agent Service answered with an unreadable {what}.", upstreamStatus: response.Status, innerException: ex);
        }
    }

    /// <summary>A request to the project: <paramref name="path"/> under the endpoint, with <c>api-version</c> on the Agent
    /// Service's own routes; the OpenAI-compatible routes under <c>/openai/v1</c> (<paramref name="openAIRoute"/>) take none.</summary>
    private HttpMessage CreateMessage(RequestMethod method, string[] path, (string Name, string Value)[]? query, object? body, bool openAIRoute,
        string accept, string? apiVersion = null)
    {
        var message = _pipeline.CreateMessage();
        var request = message.Request;
        request.Method = method;
        var uri = new RequestUriBuilder();
        uri.Reset(_endpoint);
        foreach (var segment in openAIRoute ? OpenAIV1Path.Concat(path) : path)
        {
            uri.AppendPath("/", escape: false);
            uri.AppendPath(segment, escape: true);
        }

        if (!openAIRoute)
        {
            uri.AppendQuery("api-version", apiVersion ?? _apiVersion, escapeValue: true);
        }

        foreach (var (name, value) in query ?? [])
        {
            uri.AppendQuery(name, value, escapeValue: true);
        }

        request.Uri = uri;
        request.Headers.Add("Accept", accept);
        if (body is not null)
        {
            request.Headers.Add("Content-Type", "application/json");
            request.Content = RequestContent.Create(JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), AgentServiceWire.Json));
        }

        return message;
    }

    /// <summary>Sends; every failure (transport, token, error status) becomes an <see cref="UpstreamException"/>.</summary>
    private async Task SendMessageAsync(HttpMessage message, string what, CancellationToken cancellationToken)
    {
        try
        {
            await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not UpstreamException)
        {
            throw Translate(ex, message.Request.Method, cancellationToken);
        }

        if (message.Response.IsError)
        {
            if (!message.BufferResponse && message.Response.ContentStream is { } unbuffered)
            {
                // The error body of a streamed request is small JSON: read it for its code.
                using var buffered = new MemoryStream();
                try
                {
                    await unbuffered.CopyToAsync(buffered, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or OperationCanceledException or System.Net.Http.HttpRequestException)
                {
                    buffered.SetLength(0); // the status alone then says what went wrong
                }

                message.Response.ContentStream = new MemoryStream(buffered.ToArray(), writable: false);
            }

            throw FromStatus(message.Response, what);
        }
    }

    /// <summary>Sends a request whose answer is a stream of server-sent events, and returns the events as they arrive.
    /// The request fails (as <see cref="UpstreamException"/>) before the first event when the service refuses it; a broken
    /// stream later ends the enumeration with <see cref="UpstreamFailure.Unavailable"/> (or <see cref="UpstreamFailure.Timeout"/>
    /// when a read waited longer than <paramref name="readTimeout"/>).</summary>
    internal async Task<ServerSentEventStream> OpenEventStreamAsync(RequestMethod method, string[] path, object body, string what, bool openAIRoute,
        TimeSpan readTimeout, CancellationToken cancellationToken)
    {
        var message = CreateMessage(method, path, null, body, openAIRoute, "text/event-stream");
        message.BufferResponse = false;
        message.NetworkTimeout = readTimeout;
        try
        {
            await SendMessageAsync(message, what, cancellationToken).ConfigureAwait(false);
            var stream = message.Response.ContentStream ?? throw BadResponse($"an empty {what} stream");
            return new ServerSentEventStream(message, stream, this);
        }
        catch
        {
            message.Dispose();
            throw;
        }
    }

    /// <summary>The failure a broken event stream is reported as.</summary>
    internal Exception StreamFailure(Exception exception, CancellationToken cancellationToken) =>
        exception is UpstreamException ? exception : Translate(exception, RequestMethod.Get, cancellationToken);

    private Exception Translate(Exception exception, RequestMethod method, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return new OperationCanceledException("The caller cancelled the Agent Service call.", exception, cancellationToken);
        }

        var inner = exception is AggregateException aggregate ? aggregate.Flatten().InnerExceptions[^1] : exception;
        _logger.LogWarning("Agent Service {Method} failed before an answer: {Failure}", method, inner.GetType().Name);
        return inner switch
        {
            AuthenticationFailedException => new UpstreamException(UpstreamFailure.Authentication,
                "No token could be obtained for the Agent Service (DefaultAzureCredential).", innerException: exception),
            OperationCanceledException => new UpstreamException(UpstreamFailure.Timeout, "The Agent Service did not answer in time.", innerException: exception),
            _ => new UpstreamException(UpstreamFailure.Unavailable, "The Agent Service could not be reached.", innerException: exception),
        };
    }

    private UpstreamException FromStatus(Response response, string what)
    {
        var code = UpstreamStatusMap.ErrorCode(response.Content);
        _logger.LogWarning("The Agent Service answered {Status} ({Code}) for a {What}", response.Status, code ?? "no code", what);
        return UpstreamStatusMap.ToException("The Agent Service", response.Status, code, UpstreamRetryAfter.Read(response, DateTimeOffset.UtcNow), what,
            contentFiltered: code == ContentFilterCode);
    }

    /// <summary>No redirects (our token is not for elsewhere), pooled connections renewed for DNS changes, and, when the
    /// options carry a <see cref="AgentServiceOptions.TrustedCertificate"/>, that certificate trusted by SHA-256 thumbprint.</summary>
    private static SocketsHttpHandler CreateHandler(AgentServiceOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };

        if (options.TrustedCertificate is { } trusted)
        {
            var pinned = trusted.GetCertHash(HashAlgorithmName.SHA256);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                errors == SslPolicyErrors.None
                || (certificate is not null && CryptographicOperations.FixedTimeEquals(certificate.GetCertHash(HashAlgorithmName.SHA256), pinned));
        }

        return handler;
    }

    private sealed class AgentServiceClientOptions : ClientOptions;
}
