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
        if (message is null)
        {
            return null;
        }

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

    private static AgentRun ToRun(AgentServiceWire.RunObject run, string threadId) =>
        new(RequireId(run.Id, "run"), threadId,
            string.IsNullOrEmpty(run.Status) ? throw BadResponse("a run without a status") : run.Status,
            run.LastError?.Code, run.LastError?.Message, run.IncompleteDetails?.Reason);

    private static string RequireId(string? id, string what) =>
        string.IsNullOrEmpty(id) ? throw BadResponse($"a {what} without an id") : id;

    private static UpstreamException BadResponse(string what) =>
        new(UpstreamFailure.BadResponse, $"The Agent Service answered with {what}.");

    private async Task<T> SendAsync<T>(RequestMethod method, string[] path, (string Name, string Value)[]? query, object? body, string what,
        CancellationToken cancellationToken)
    {
        using var message = _pipeline.CreateMessage();
        var request = message.Request;
        request.Method = method;
        var uri = new RequestUriBuilder();
        uri.Reset(_endpoint);
        foreach (var segment in path)
        {
            uri.AppendPath("/", escape: false);
            uri.AppendPath(segment, escape: true);
        }

        uri.AppendQuery("api-version", _apiVersion, escapeValue: true);
        foreach (var (name, value) in query ?? [])
        {
            uri.AppendQuery(name, value, escapeValue: true);
        }

        request.Uri = uri;
        request.Headers.Add("Accept", "application/json");
        if (body is not null)
        {
            request.Headers.Add("Content-Type", "application/json");
            request.Content = RequestContent.Create(JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), AgentServiceWire.Json));
        }

        try
        {
            await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not UpstreamException)
        {
            throw Translate(ex, method, cancellationToken);
        }

        var response = message.Response;
        if (response.IsError)
        {
            throw FromStatus(response, what);
        }

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
        return UpstreamStatusMap.ToException("The Agent Service", response.Status, code, UpstreamRetryAfter.Read(response, DateTimeOffset.UtcNow), what);
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
