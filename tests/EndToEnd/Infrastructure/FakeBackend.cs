using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Wrapper;

namespace Wrapper.EndToEndTests.Infrastructure;

/// <summary>A tiny API instance on 127.0.0.1 (an ephemeral port, or a given one to come back on) that answers
/// 200 with its name, or, when told to, a status (with <c>Retry-After</c>) or a dropped connection.
/// Any <c>GET /health/...</c> (a probe) answers <see cref="ReadyStatus"/>.</summary>
public sealed class FakeBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();
    private volatile Failure? _failure;
    private readonly ConcurrentQueue<string> _probePaths = new();

    private FakeBackend(string name, WebApplication app)
    {
        Name = name;
        _app = app;
    }

    public string Name { get; }

    public Uri Address { get; private set; } = null!;

    /// <summary>Status of the probes (default 200).</summary>
    public int ReadyStatus { get; set; } = StatusCodes.Status200OK;

    /// <summary>Requests received, probes excluded.</summary>
    public IReadOnlyCollection<ReceivedRequest> Requests => _requests;

    /// <summary>Paths of the probes received (any path under <c>/health</c>).</summary>
    public IReadOnlyCollection<string> ProbePaths => _probePaths;

    public static async Task<FakeBackend> StartAsync(string name, int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var backend = new FakeBackend(name, app);
        app.Run(backend.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        backend.Address = new Uri(address.TrimEnd('/') + "/");
        return backend;
    }

    /// <summary>Answer every request with <paramref name="status"/> (and <c>Retry-After</c>, <c>WWW-Authenticate</c> when given;
    /// <c>X-Wrapper-Refusal: client</c> when <paramref name="clientRefusal"/>, as the API marks a refusal the client caused).</summary>
    public void FailWith(int status, string? retryAfter = null, string? challenge = null, bool clientRefusal = false) =>
        _failure = new Failure(status, retryAfter, challenge, Drop: false, clientRefusal);

    /// <summary>Close every connection without answering.</summary>
    public void DropConnections() => _failure = new Failure(0, null, null, Drop: true);

    public void Recover() => _failure = null;

    public int CountRequests() => _requests.Count;

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private async Task HandleAsync(HttpContext context)
    {
        context.Response.Headers["X-Instance-Id"] = Name;
        if (context.Request.Path.StartsWithSegments("/health"))
        {
            _probePaths.Enqueue(context.Request.Path.Value!);
            context.Response.StatusCode = ReadyStatus;
            await context.Response.WriteAsync(ReadyStatus == 200 ? "ready" : "not ready");
            return;
        }

        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        _requests.Enqueue(new ReceivedRequest(
            context.Request.Method,
            context.Request.Path + context.Request.QueryString,
            body,
            context.Request.Headers["X-APIM-Correlation-Id"].ToString(),
            context.Request.Headers.Cookie.ToString(),
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));

        var failure = _failure;
        if (failure is { Drop: true })
        {
            context.Abort();
            return;
        }

        if (failure is { } answer)
        {
            context.Response.StatusCode = answer.Status;
            if (answer.RetryAfter is not null)
            {
                context.Response.Headers.RetryAfter = answer.RetryAfter;
            }

            if (answer.Challenge is not null)
            {
                context.Response.Headers.WWWAuthenticate = answer.Challenge;
            }

            if (answer.ClientRefusal)
            {
                context.Response.Headers[WrapperHeaders.Refusal] = WrapperHeaders.ClientRefusal;
            }

            await context.Response.WriteAsJsonAsync(new { error = "fake failure", backend = Name, status = answer.Status });
            return;
        }

        await context.Response.WriteAsJsonAsync(new { backend = Name, path = context.Request.Path.Value, body });
    }

    private sealed record Failure(int Status, string? RetryAfter, string? Challenge, bool Drop, bool ClientRefusal = false);
}

/// <summary>A request a fake backend received, with every header it carried (by name, values comma-joined).</summary>
public sealed record ReceivedRequest(string Method, string PathAndQuery, string Body, string CorrelationId, string Cookie, IReadOnlyDictionary<string, string> Headers)
{
    /// <summary>The header's value, or null when it was not sent.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}
