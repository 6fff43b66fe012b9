using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenAI.Chat;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Application.Health;
using Wrapper.Infrastructure.OpenAI;
using Wrapper.Infrastructure.Resilience;

namespace Wrapper.Infrastructure.Health;

/// <summary>
/// Checks that the model service answers with our credentials without spending a token: <c>GET
/// {endpoint}/openai/deployments/{deployment}?api-version=...</c> on the data plane of each upstream of the pool whose
/// circuit is not open (the one of OPENAI_ENDPOINT, or every <c>AzureOpenAI:Upstreams</c> entry), sent through that
/// upstream's own client pipeline (its key or Entra ID authentication, bounded retries and transport, as its chat
/// calls). Healthy as soon as one upstream answers. When none does, the failure of the most preferred upstream probed
/// is reported, mapped exactly as chat calls are (<see cref="UpstreamErrorMapper"/>): 401/403 authentication, 404 not
/// found, 429 throttled with its retry-after, 5xx or no answer unavailable, no answer in time timeout. When every
/// circuit is open nothing is sent and the pool's cool-down is reported. Probes do not feed the circuit breakers:
/// health polling neither opens nor closes a circuit.
/// </summary>
public sealed class AzureOpenAIDeploymentProbe : IUpstreamHealthProbe
{
    private readonly UpstreamPool<ChatClient> _pool;
    private readonly AzureOpenAIOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<AzureOpenAIDeploymentProbe> _logger;

    public AzureOpenAIDeploymentProbe(UpstreamPool<ChatClient> pool, IOptions<AzureOpenAIOptions> options, TimeProvider time,
        ILogger<AzureOpenAIDeploymentProbe> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _pool = pool;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <inheritdoc />
    public async Task<UpstreamMode> ProbeAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var candidates = _pool.Members
            .Where(u => u.DeploymentUri is not null && u.Circuit.Snapshot(now).State != UpstreamCircuitState.Open)
            .ToList();
        if (candidates.Count == 0)
        {
            throw CheckHealthHandler.AllCircuitsOpen(((IUpstreamPoolState)_pool).Upstreams, now)
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
                return _options.Simulated ? UpstreamMode.Simulated : UpstreamMode.Azure;
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

    /// <summary>Probes one upstream: null when it answered, its mapped failure otherwise.</summary>
    private async Task<UpstreamException?> ProbeOneAsync(PooledUpstream<ChatClient> upstream, CancellationToken stop)
    {
        await Task.Yield();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        deadline.CancelAfter(_options.RequestTimeout);
        var pipeline = upstream.Client.Pipeline;
        using var message = pipeline.CreateMessage();
        message.Request.Method = "GET";
        message.Request.Uri = upstream.DeploymentUri;
        message.Request.Headers.Set("Accept", "application/json");
        message.Apply(new RequestOptions { CancellationToken = deadline.Token });
        try
        {
            await pipeline.SendAsync(message).ConfigureAwait(false);
            if (message.Response is not { } response)
            {
                throw new ClientResultException("Azure OpenAI sent no response.");
            }

            if (response.IsError)
            {
                throw new ClientResultException(response);
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
            var failure = ex as UpstreamException ?? UpstreamErrorMapper.Map(ex, upstream.Deployment, _options.RequestTimeout, _time.GetUtcNow());
            _logger.LogInformation("Health probe of upstream {Upstream} failed with {Failure} (upstream status {UpstreamStatus})",
                upstream.Name, failure.Failure, failure.UpstreamStatus);
            return failure;
        }
    }
}
