using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenAI.Chat;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Infrastructure.OpenAI;
using Wrapper.Infrastructure.Resilience;

namespace Wrapper.Infrastructure.Health;

/// <summary>
/// Checks that the model service answers with our credentials, on operations Azure's REST specification defines for the
/// API version in use (<see cref="UpstreamOperations"/>; sources and costs in docs/resilience.md). For each upstream of the
/// pool whose circuit is not open, sent through that upstream's own client pipeline (its key or Entra ID authentication,
/// bounded retries and transport, as its chat calls):
/// <list type="number">
/// <item><c>GET /openai/models?api-version=...</c> (dated) or <c>GET /openai/v1/models</c> (v1), which spends no token:
/// credentials refused (401/403), throttled (429 with its retry-after), unavailable (5xx, no connection), no answer in
/// time;</item>
/// <item>then whether the deployment exists (<see cref="DeploymentCheck"/>): known from chat answers when there were any
/// in the last <see cref="HealthProbeOptions.DeploymentCheckMinutes"/>, otherwise learnt from one minimal completion
/// (<c>max_tokens: 1</c>) shared by every probe of that interval. A 404 is reported as not found.</item>
/// </list>
/// Healthy as soon as one upstream passes. When none does, the failure of the most preferred upstream probed is
/// reported, mapped exactly as chat calls are (<see cref="UpstreamErrorMapper"/>). When every circuit is open nothing is
/// sent and the pool's cool-down is reported. Probes do not feed the circuit breakers: health polling neither opens nor
/// closes a circuit.
/// </summary>
public sealed class AzureOpenAIDeploymentProbe : IUpstreamHealthProbe
{
    private static readonly byte[] CheckPrompt = "ping"u8.ToArray();

    private readonly UpstreamPool<ChatClient> _pool;
    private readonly AzureOpenAIOptions _options;
    private readonly TimeSpan _checkInterval;
    private readonly TimeProvider _time;
    private readonly ILogger<AzureOpenAIDeploymentProbe> _logger;

    public AzureOpenAIDeploymentProbe(UpstreamPool<ChatClient> pool, IOptions<AzureOpenAIOptions> options, IOptions<HealthProbeOptions> health,
        TimeProvider time, ILogger<AzureOpenAIDeploymentProbe> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(health);
        _pool = pool;
        _options = options.Value;
        _checkInterval = health.Value.DeploymentCheckInterval;
        _time = time;
        _logger = logger;
    }

    /// <inheritdoc />
    public async Task ProbeAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var candidates = _pool.PooledUpstreams
            .Where(u => u.Operations is not null && u.Circuit.Snapshot(now).State != UpstreamCircuitState.Open)
            .ToList();
        if (candidates.Count == 0)
        {
            throw UpstreamCoolDown.WhenEveryCircuitIsOpen(((IUpstreamPoolState)_pool).Upstreams, now)
                  ?? new UpstreamException(UpstreamFailure.Unavailable, "No Azure OpenAI upstream can be probed now (every circuit is open).",
                      TimeSpan.FromSeconds(1));
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var probes = candidates.ToDictionary(u => ProbeOneAsync(u, stop.Token), u => u);
        var failures = new Dictionary<PooledUpstream<ChatClient>, UpstreamException>();
        var pending = probes.Keys.ToList();
        try
        {
            while (pending.Count > 0)
            {
                var done = await Task.WhenAny(pending).ConfigureAwait(false);
                pending.Remove(done);
                if (await done.ConfigureAwait(false) is { } failure)
                {
                    failures[probes[done]] = failure;
                    continue;
                }

                // One upstream answers: the service is healthy. The other probes are not needed any more.
                await stop.CancelAsync().ConfigureAwait(false);
                return;
            }
        }
        finally
        {
            if (pending.Count > 0)
            {
                await Task.WhenAll(pending).ConfigureAwait(false); // they end quickly once cancelled, and never throw
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        // The members are most preferred first: report the failure of the best upstream that was probed.
        throw candidates.Select(u => failures[u]).First();
    }

    /// <summary>Probes one upstream: null when it passed, its mapped failure otherwise.</summary>
    private async Task<UpstreamException?> ProbeOneAsync(PooledUpstream<ChatClient> upstream, CancellationToken stop)
    {
        await Task.Yield();
        try
        {
            await ListModelsAsync(upstream, stop).ConfigureAwait(false);
            if (upstream.DeploymentCheck is { } check
                && await check.CheckAsync(_checkInterval, () => CheckDeploymentAsync(upstream)).WaitAsync(stop).ConfigureAwait(false) is { } missing)
            {
                _logger.LogWarning("Health probe of upstream {Upstream}: deployment {Deployment} does not exist", upstream.Name, upstream.Deployment);
                return missing;
            }

            return null;
        }
        catch (Exception ex) when (stop.IsCancellationRequested)
        {
            // Another upstream answered first, or the caller gave up: this outcome tells nothing.
            return new UpstreamException(UpstreamFailure.Unavailable, "The probe was cancelled.", innerException: ex);
        }
        catch (Exception ex)
        {
            var failure = Map(ex, upstream);
            _logger.LogInformation("Health probe of upstream {Upstream} failed with {Failure} (upstream status {UpstreamStatus})",
                upstream.Name, failure.Failure, failure.UpstreamStatus);
            return failure;
        }
    }

    /// <summary>The token-free operation: <c>GET /openai/models</c> (dated) or <c>GET /openai/v1/models</c>.</summary>
    private async Task ListModelsAsync(PooledUpstream<ChatClient> upstream, CancellationToken stop)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        deadline.CancelAfter(_options.RequestTimeout);
        var pipeline = upstream.Client.Pipeline;
        using var message = pipeline.CreateMessage();
        message.Request.Method = "GET";
        message.Request.Uri = upstream.Operations!.ModelsUri;
        message.Request.Headers.Set("Accept", "application/json");
        message.Apply(new RequestOptions { CancellationToken = deadline.Token });
        await pipeline.SendAsync(message).ConfigureAwait(false);
        if (message.Response is not { } response)
        {
            throw new ClientResultException("Azure OpenAI sent no response.");
        }

        if (response.IsError)
        {
            throw new ClientResultException(response);
        }
    }

    /// <summary>One minimal completion (<c>max_tokens: 1</c>) on the deployment, with its own deadline (it is shared by
    /// every probe waiting for it). Any answer but 404 proves the deployment exists — a 400 too (e.g. a model that
    /// refuses <c>max_tokens</c>), and a 429, which Azure counts per deployment.</summary>
    private async Task<(DeploymentCheckOutcome, UpstreamException?)> CheckDeploymentAsync(PooledUpstream<ChatClient> upstream)
    {
        using var deadline = new CancellationTokenSource(_options.RequestTimeout);
        _logger.LogInformation("Health probe of upstream {Upstream}: checking that deployment {Deployment} exists with one minimal completion",
            upstream.Name, upstream.Deployment);
        try
        {
            using var body = BinaryContent.Create(BinaryData.FromBytes(ChatCompletionsWire.WriteCheckRequest(upstream.Deployment, CheckPrompt)));
            var result = await upstream.Client.CompleteChatAsync(body, new RequestOptions { CancellationToken = deadline.Token }).ConfigureAwait(false);
            result.GetRawResponse().Dispose();
            return (DeploymentCheckOutcome.Exists, null);
        }
        catch (ClientResultException ex) when (ex.Status is 400 or 429)
        {
            return (DeploymentCheckOutcome.Exists, null);
        }
        catch (Exception ex)
        {
            var failure = Map(ex, upstream);
            return failure.Failure == UpstreamFailure.NotFound
                ? (DeploymentCheckOutcome.Missing, failure)
                : (DeploymentCheckOutcome.Inconclusive, failure);
        }
    }

    private UpstreamException Map(Exception ex, PooledUpstream<ChatClient> upstream) =>
        ex as UpstreamException ?? UpstreamErrorMapper.Map(ex, upstream.Deployment, _options.RequestTimeout, _time.GetUtcNow());
}
