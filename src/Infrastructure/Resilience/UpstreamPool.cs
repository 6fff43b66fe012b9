using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Infrastructure.Health;

namespace Wrapper.Infrastructure.Resilience;

/// <summary>One upstream of a <see cref="UpstreamPool{TClient}"/>: its client and its circuit breaker.</summary>
public sealed class PooledUpstream<TClient>
{
    public PooledUpstream(string name, string deployment, int priority, int weight, TClient client, UpstreamCircuit circuit,
        UpstreamOperations? operations = null, DeploymentCheck? deploymentCheck = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(weight, 1);
        Name = name;
        Deployment = deployment;
        Priority = priority;
        Weight = weight;
        Client = client;
        Circuit = circuit;
        Operations = operations;
        DeploymentCheck = deploymentCheck;
    }

    public string Name { get; }
    public string Deployment { get; }
    public int Priority { get; }
    public int Weight { get; }
    public TClient Client { get; }
    public UpstreamCircuit Circuit { get; }

    /// <summary>The Azure operations this upstream is called with (chat, and the token-free health operation); null
    /// when the upstream cannot be probed.</summary>
    public UpstreamOperations? Operations { get; }

    /// <summary>What is known of the deployment's existence: confirmed by chat answers, checked by health probes.</summary>
    public DeploymentCheck? DeploymentCheck { get; }
}

/// <summary>The budget of one request across the pool.</summary>
/// <param name="RequestTimeout">The whole request's deadline, every try and failover included.</param>
/// <param name="AttemptTimeout">The deadline of one try on one upstream; null: what is left of the request's.</param>
/// <param name="MaxAttempts">Most upstreams one request may try.</param>
public sealed record UpstreamPoolBudget(TimeSpan RequestTimeout, TimeSpan? AttemptTimeout, int MaxAttempts);

/// <summary>One try of a request on one upstream.</summary>
public sealed class UpstreamAttempt
{
    private readonly CancellationToken _deadline;
    private readonly UpstreamPoolBudget _budget;

    internal UpstreamAttempt(int number, CancellationToken token, CancellationToken callerToken, CancellationToken deadline, UpstreamPoolBudget budget)
    {
        Number = number;
        Token = token;
        CallerToken = callerToken;
        _deadline = deadline;
        _budget = budget;
    }

    /// <summary>1 for the first try of the request.</summary>
    public int Number { get; }

    /// <summary>Cancelled when the caller gives up, the request's deadline passes or this try's does.</summary>
    public CancellationToken Token { get; }

    /// <summary>The caller's own token: when it is cancelled, the failure is the caller's, not the upstream's.</summary>
    public CancellationToken CallerToken { get; }

    /// <summary>The deadline that ended the try when <see cref="Token"/> was cancelled by time, for messages.</summary>
    public TimeSpan TimedOutAfter =>
        _deadline.IsCancellationRequested || _budget.AttemptTimeout is null ? _budget.RequestTimeout : _budget.AttemptTimeout.Value;
}

/// <summary>
/// Several upstreams serving the same model. A request goes to the best priority (lowest number) that has an upstream
/// whose circuit admits it, picked at random by weight within that priority. When the try fails before anything was
/// returned with a failure another upstream may not share (429, 5xx, timeout of the try, dropped connection,
/// unreadable answer, 401/403, 404), the request fails over to the next upstream, each tried at most once, within
/// <see cref="UpstreamPoolBudget.MaxAttempts"/> and the request's deadline. A failure of the request itself (400,
/// content filter) is answered at once. When no circuit admits a request any more, the request fails as
/// <see cref="UpstreamCoolDown"/> says (429 or 503 with a retry-after until the earliest circuit lets a request through).
/// </summary>
public sealed class UpstreamPool<TClient> : IUpstreamPoolState
{
    private readonly IReadOnlyList<PooledUpstream<TClient>> _upstreams;
    private readonly IReadOnlyList<IReadOnlyList<PooledUpstream<TClient>>> _byPriority;
    private readonly UpstreamPoolBudget _budget;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Random _random;

    public UpstreamPool(IEnumerable<PooledUpstream<TClient>> upstreams, UpstreamPoolBudget budget, TimeProvider time, ILogger logger,
        Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(upstreams);
        ArgumentNullException.ThrowIfNull(budget);
        // A stable sort: within a priority, configuration order.
        _upstreams = upstreams.OrderBy(u => u.Priority).ToList();
        if (_upstreams.Count == 0)
        {
            throw new ArgumentException("A pool needs at least one upstream.", nameof(upstreams));
        }

        _byPriority = _upstreams.GroupBy(u => u.Priority).Select(g => (IReadOnlyList<PooledUpstream<TClient>>)g.ToList()).ToList();
        _budget = budget with { MaxAttempts = Math.Clamp(budget.MaxAttempts, 1, _upstreams.Count) };
        _time = time;
        _logger = logger;
        _random = random ?? Random.Shared;
    }

    /// <summary>The pooled upstreams themselves (client, circuit, operations), most preferred first. Their state for
    /// reporting, a snapshot that sends nothing, is <see cref="IUpstreamPoolState.Upstreams"/>.</summary>
    public IReadOnlyList<PooledUpstream<TClient>> PooledUpstreams => _upstreams;

    /// <summary>A snapshot of every upstream's circuit now, most preferred first (the health-reporting port).</summary>
    IReadOnlyList<UpstreamStatus> IUpstreamPoolState.Upstreams => StatusesAt(_time.GetUtcNow());

    /// <summary>Runs <paramref name="call"/> on one upstream after another until one succeeds, the failure is not
    /// one to fail over on, or the budget is spent. <paramref name="call"/> must throw <see cref="UpstreamException"/>
    /// for upstream failures and <see cref="OperationCanceledException"/> when <see cref="UpstreamAttempt.CallerToken"/>
    /// is cancelled.</summary>
    public async Task<T> ExecuteAsync<T>(Func<PooledUpstream<TClient>, UpstreamAttempt, ValueTask<T>> call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        cancellationToken.ThrowIfCancellationRequested();

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_budget.RequestTimeout);
        var tried = new HashSet<PooledUpstream<TClient>>();
        UpstreamException? last = null;
        var attempts = 0;
        while (attempts < _budget.MaxAttempts && Pick(tried) is { } upstream)
        {
            tried.Add(upstream);
            using var attemptToken = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
            if (_budget.AttemptTimeout is { } attemptTimeout)
            {
                attemptToken.CancelAfter(attemptTimeout);
            }

            var attempt = new UpstreamAttempt(attempts + 1, attemptToken.Token, cancellationToken, deadline.Token, _budget);
            try
            {
                return await upstream.Circuit.ExecuteAsync(token => call(upstream, attempt), attemptToken.Token).ConfigureAwait(false);
            }
            catch (BrokenCircuitException)
            {
                // Another request opened the circuit, or holds its trial, since we picked it: not a try.
                continue;
            }
            catch (UpstreamException ex)
            {
                attempts++;
                last = ex;
                cancellationToken.ThrowIfCancellationRequested();
                if (deadline.IsCancellationRequested || !FailsOver(ex.Failure))
                {
                    throw;
                }

                if (attempts < _budget.MaxAttempts)
                {
                    _logger.LogWarning("Upstream {Upstream} failed with {Failure} (upstream status {UpstreamStatus}); failing over (try {Attempt} of at most {MaxAttempts})",
                        upstream.Name, ex.Failure, ex.UpstreamStatus, attempts, _budget.MaxAttempts);
                }
            }
        }

        var now = _time.GetUtcNow();
        if (!_upstreams.Any(u => u.Circuit.IsAvailable(now)))
        {
            throw AllCoolingDown(now);
        }

        // Upstreams are left but this request may not try them (each once, at most MaxAttempts).
        throw last ?? AllCoolingDown(now);
    }

    /// <summary>Records a failure on <paramref name="upstream"/> after its call had returned (a stream that broke off).</summary>
    public ValueTask ReportFailureAsync(PooledUpstream<TClient> upstream, UpstreamException failure)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        return upstream.Circuit.ReportFailureAsync(failure);
    }

    /// <summary>Failures that another upstream may not share. 400 and the content filter concern the request itself.</summary>
    public static bool FailsOver(UpstreamFailure failure) => failure is UpstreamFailure.Unavailable or UpstreamFailure.Timeout
        or UpstreamFailure.Throttled or UpstreamFailure.Authentication or UpstreamFailure.NotFound or UpstreamFailure.BadResponse;

    private PooledUpstream<TClient>? Pick(HashSet<PooledUpstream<TClient>> tried)
    {
        var now = _time.GetUtcNow();
        foreach (var group in _byPriority)
        {
            var candidates = group.Where(u => !tried.Contains(u) && u.Circuit.IsAvailable(now)).ToList();
            if (candidates.Count == 0)
            {
                continue;
            }

            var roll = _random.Next(candidates.Sum(c => c.Weight));
            foreach (var candidate in candidates)
            {
                if (roll < candidate.Weight)
                {
                    return candidate;
                }

                roll -= candidate.Weight;
            }
        }

        return null;
    }

    /// <summary>Every upstream is cooling down: the answer comes from the one rule (<see cref="UpstreamCoolDown"/>).</summary>
    private UpstreamException AllCoolingDown(DateTimeOffset now)
    {
        var statuses = StatusesAt(now);
        var failure = UpstreamCoolDown.Failure(statuses, now);
        _logger.LogWarning("Every upstream is cooling down ({Upstreams}); answering {Failure} with retry-after {RetryAfterMs:0} ms",
            string.Join(", ", statuses.Select(s => $"{s.Name}: {s.Circuit} after {s.OpenedBecause}")), failure.Failure, failure.RetryAfter?.TotalMilliseconds);
        return failure;
    }

    private List<UpstreamStatus> StatusesAt(DateTimeOffset now) => _upstreams.Select(u =>
    {
        var (state, until, because) = u.Circuit.Snapshot(now);
        return new UpstreamStatus(u.Name, u.Deployment, u.Priority, u.Weight, state, until, because);
    }).ToList();
}
