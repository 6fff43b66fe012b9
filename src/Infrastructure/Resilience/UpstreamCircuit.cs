using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;

namespace Wrapper.Infrastructure.Resilience;

/// <summary>
/// The circuit breaker of one upstream, on Polly's <see cref="CircuitBreakerStrategyOptions"/>:
/// <list type="bullet">
/// <item>5xx, timeouts, dropped connections and unreadable answers (<see cref="UpstreamFailure.Unavailable"/>,
/// <see cref="UpstreamFailure.Timeout"/>, <see cref="UpstreamFailure.BadResponse"/>) are Polly's handled outcomes: the
/// circuit opens when their ratio in the sampling window passes the threshold, for the upstream's retry-after when it
/// sent one, else the configured break; Polly then lets one trial through (half-open).</item>
/// <item>A 429 (<see cref="UpstreamFailure.Throttled"/>) opens the circuit at once for its retry-after (else the
/// break), and 401/403/404 (<see cref="UpstreamFailure.Authentication"/>, <see cref="UpstreamFailure.NotFound"/>:
/// our configuration of that upstream is wrong) for the misconfiguration break. Polly's ratio cannot open on a single
/// outcome, so these isolate the circuit through its <see cref="CircuitBreakerManualControl"/>; when the time is up the
/// next request closes it and goes through as the only trial: success keeps it closed, failure isolates it again.</item>
/// </list>
/// Other outcomes (an answer, 400, content filter) show the upstream works. Caller cancellation counts for nothing.
/// </summary>
public sealed class UpstreamCircuit
{
    private static readonly ResiliencePropertyKey<UpstreamException> FailureKey = new("Wrapper.UpstreamFailure");

    private readonly string _name;
    private readonly UpstreamCircuitBreakerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _pipeline;
    private readonly CircuitBreakerStateProvider _state = new();
    private readonly CircuitBreakerManualControl _control = new();
    private readonly object _gate = new();
    private DateTimeOffset _brokenUntil;
    private UpstreamFailure? _brokenBecause;
    private DateTimeOffset _isolatedUntil;
    private UpstreamFailure? _isolatedBecause;
    private int _trialInFlight;

    public UpstreamCircuit(string name, bool enabled, UpstreamCircuitBreakerOptions options, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _name = name;
        _options = options;
        _time = time;
        _logger = logger;
        Enabled = enabled;
        _pipeline = enabled
            ? new ResiliencePipelineBuilder { TimeProvider = time }
                .AddCircuitBreaker(new CircuitBreakerStrategyOptions
                {
                    FailureRatio = options.FailureRatio,
                    MinimumThroughput = options.MinimumThroughput,
                    SamplingDuration = options.SamplingDuration,
                    BreakDuration = options.BreakDuration,
                    ShouldHandle = args => ValueTask.FromResult(CountsAsFailure(args.Outcome.Exception, args.Context)),
                    BreakDurationGenerator = args => ValueTask.FromResult(BreakFor(args.Context)),
                    StateProvider = _state,
                    ManualControl = _control,
                    OnOpened = args =>
                    {
                        if (!args.IsManual)
                        {
                            _logger.LogWarning("Circuit of upstream {Upstream} opened for {BreakMs:0} ms after repeated {Failure} failures",
                                _name, args.BreakDuration.TotalMilliseconds, (args.Outcome.Exception as UpstreamException)?.Failure);
                        }

                        return ValueTask.CompletedTask;
                    },
                    OnHalfOpened = _ =>
                    {
                        _logger.LogInformation("Circuit of upstream {Upstream} half-open: one trial request goes through", _name);
                        return ValueTask.CompletedTask;
                    },
                    OnClosed = args =>
                    {
                        if (!args.IsManual)
                        {
                            _logger.LogInformation("Circuit of upstream {Upstream} closed after a successful trial request", _name);
                        }

                        return ValueTask.CompletedTask;
                    },
                })
                .Build()
            : ResiliencePipeline.Empty;
    }

    /// <summary>False when the breaker is switched off: the upstream is then always tried.</summary>
    public bool Enabled { get; }

    /// <summary>The upstream's name (as configured: the same on every instance).</summary>
    public string Name => _name;

    /// <summary>Raised when a 429 of this upstream opened the circuit here, with how long it stays open: what
    /// <see cref="SharedUpstreamThrottling"/> tells the other instances.</summary>
    public event Action<UpstreamCircuit, TimeSpan>? Throttled;

    /// <summary>Opens the circuit because another instance learned that the upstream throttles until
    /// <paramref name="until"/>: no request is sent before then. Never shortens a longer open period, and is not told on.</summary>
    public async ValueTask OpenForThrottlingElsewhereAsync(DateTimeOffset until)
    {
        var duration = until - _time.GetUtcNow();
        if (!Enabled || duration <= TimeSpan.Zero)
        {
            return;
        }

        lock (_gate)
        {
            if (_state.CircuitState == CircuitState.Isolated && _isolatedUntil >= until)
            {
                return;
            }
        }

        await IsolateAsync(UpstreamFailure.Throttled, duration).ConfigureAwait(false);
        _logger.LogInformation("Circuit of upstream {Upstream} opened for {BreakMs:0} ms: another instance was throttled by it", _name, duration.TotalMilliseconds);
    }

    /// <summary>Whether a request may be sent now: closed, or open with its time up (the request is then the trial).</summary>
    public bool IsAvailable(DateTimeOffset now)
    {
        if (!Enabled)
        {
            return true;
        }

        if (Volatile.Read(ref _trialInFlight) != 0)
        {
            return false;
        }

        lock (_gate)
        {
            return _state.CircuitState switch
            {
                CircuitState.Closed => true,
                CircuitState.Open => now >= _brokenUntil,
                CircuitState.Isolated => now >= _isolatedUntil,
                _ => false, // half-open: Polly's trial is in flight
            };
        }
    }

    /// <summary>The breaker's state for health reporting; an open circuit whose time is up reads as half-open.</summary>
    public (UpstreamCircuitState State, DateTimeOffset? OpenUntil, UpstreamFailure? Because) Snapshot(DateTimeOffset now)
    {
        if (!Enabled)
        {
            return (UpstreamCircuitState.Closed, null, null);
        }

        lock (_gate)
        {
            var state = _state.CircuitState;
            if (Volatile.Read(ref _trialInFlight) != 0)
            {
                return (UpstreamCircuitState.HalfOpen, null, _isolatedBecause);
            }

            return state switch
            {
                CircuitState.Open when now < _brokenUntil => (UpstreamCircuitState.Open, _brokenUntil, _brokenBecause),
                CircuitState.Open or CircuitState.HalfOpen => (UpstreamCircuitState.HalfOpen, null, _brokenBecause),
                CircuitState.Isolated when now < _isolatedUntil => (UpstreamCircuitState.Open, _isolatedUntil, _isolatedBecause),
                CircuitState.Isolated => (UpstreamCircuitState.HalfOpen, null, _isolatedBecause),
                _ => (UpstreamCircuitState.Closed, null, null),
            };
        }
    }

    /// <summary>Runs one request through the breaker. Throws <see cref="BrokenCircuitException"/> without calling
    /// <paramref name="call"/> when the circuit does not admit it (open, or another request is the trial).</summary>
    public async ValueTask<T> ExecuteAsync<T>(Func<CancellationToken, ValueTask<T>> call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (!Enabled)
        {
            return await call(cancellationToken).ConfigureAwait(false);
        }

        var trial = false;
        if (_state.CircuitState == CircuitState.Isolated)
        {
            if (_time.GetUtcNow() < IsolatedUntil || Interlocked.CompareExchange(ref _trialInFlight, 1, 0) != 0)
            {
                throw new BrokenCircuitException($"The circuit of upstream '{_name}' is open.");
            }

            trial = true;
            _logger.LogInformation("Circuit of upstream {Upstream} half-open after {Failure}: one trial request goes through", _name, _isolatedBecause);
            await _control.CloseAsync(CancellationToken.None).ConfigureAwait(false);
        }
        else if (Volatile.Read(ref _trialInFlight) != 0)
        {
            throw new BrokenCircuitException($"A trial request to upstream '{_name}' is in flight.");
        }

        try
        {
            var result = await _pipeline.ExecuteAsync(static (c, token) => c(token), call, cancellationToken).ConfigureAwait(false);
            if (trial)
            {
                _logger.LogInformation("Circuit of upstream {Upstream} closed after a successful trial request", _name);
            }

            return result;
        }
        catch (UpstreamException ex)
        {
            if (IsolationFor(ex, trial) is { } duration)
            {
                await IsolateAsync(ex.Failure, duration).ConfigureAwait(false);
                TellThrottled(ex, duration);
            }

            throw;
        }
        catch (OperationCanceledException) when (trial)
        {
            // The caller gave up before the trial told anything: stay open, ready for the next trial.
            await IsolateAsync(_isolatedBecause ?? UpstreamFailure.Unavailable, TimeSpan.Zero).ConfigureAwait(false);
            throw;
        }
        finally
        {
            if (trial)
            {
                Volatile.Write(ref _trialInFlight, 0);
            }
        }
    }

    /// <summary>Records a failure that happened after <see cref="ExecuteAsync{T}"/> returned, e.g. a stream that broke
    /// off in the middle: it counts as if the request had failed.</summary>
    public async ValueTask ReportFailureAsync(UpstreamException failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        if (!Enabled)
        {
            return;
        }

        try
        {
            await _pipeline.ExecuteAsync(static (f, _) => ValueTask.FromException(f), failure, CancellationToken.None).ConfigureAwait(false);
        }
        catch (UpstreamException)
        {
            // Recorded by the breaker.
        }
        catch (BrokenCircuitException)
        {
            // Already open: nothing more to record.
        }

        if (IsolationFor(failure, trial: false) is { } duration)
        {
            await IsolateAsync(failure.Failure, duration).ConfigureAwait(false);
            TellThrottled(failure, duration);
        }
    }

    /// <summary>When the circuit lets a request through again: now for a closed one.</summary>
    public DateTimeOffset RecoversAt(DateTimeOffset now)
    {
        var (state, until, _) = Snapshot(now);
        return state == UpstreamCircuitState.Open && until is { } u ? u : now;
    }

    private DateTimeOffset IsolatedUntil
    {
        get
        {
            lock (_gate)
            {
                return _isolatedUntil;
            }
        }
    }

    private void TellThrottled(UpstreamException failure, TimeSpan duration)
    {
        if (failure.Failure == UpstreamFailure.Throttled && Throttled is { } handlers)
        {
            try
            {
                handlers(this, duration);
            }
            catch (Exception ex)
            {
                // Telling the other instances is best effort: the request's own outcome stands.
                _logger.LogWarning("Telling other instances that upstream {Upstream} throttles failed: {Error}", _name, ex.Message);
            }
        }
    }

    private static bool CountsAsFailure(Exception? exception, ResilienceContext context)
    {
        if (exception is UpstreamException { Failure: UpstreamFailure.Unavailable or UpstreamFailure.Timeout or UpstreamFailure.BadResponse } failure)
        {
            context.Properties.Set(FailureKey, failure);
            return true;
        }

        return false;
    }

    /// <summary>Polly's break duration: the failure's retry-after when it has one, else the configured break.
    /// Called under Polly's lock when the circuit opens; a manual isolation has no failure in its context.</summary>
    private TimeSpan BreakFor(ResilienceContext context)
    {
        if (!context.Properties.TryGetValue(FailureKey, out var failure))
        {
            return _options.BreakDuration;
        }

        var duration = failure.RetryAfter is { } wait && wait > TimeSpan.Zero ? wait : _options.BreakDuration;
        lock (_gate)
        {
            _brokenUntil = Add(_time.GetUtcNow(), duration);
            _brokenBecause = failure.Failure;
        }

        return duration;
    }

    private TimeSpan? IsolationFor(UpstreamException failure, bool trial) => failure.Failure switch
    {
        UpstreamFailure.Throttled => failure.RetryAfter ?? _options.BreakDuration,
        UpstreamFailure.Authentication or UpstreamFailure.NotFound => _options.MisconfigurationBreakDuration,
        UpstreamFailure.Unavailable or UpstreamFailure.Timeout or UpstreamFailure.BadResponse when trial =>
            failure.RetryAfter is { } wait && wait > TimeSpan.Zero ? wait : _options.BreakDuration,
        _ => null,
    };

    private async Task IsolateAsync(UpstreamFailure because, TimeSpan duration)
    {
        var until = Add(_time.GetUtcNow(), duration);
        lock (_gate)
        {
            _isolatedUntil = until;
            _isolatedBecause = because;
        }

        await _control.IsolateAsync(CancellationToken.None).ConfigureAwait(false);
        _logger.LogWarning("Circuit of upstream {Upstream} opened for {BreakMs:0} ms after {Failure}", _name, duration.TotalMilliseconds, because);
    }

    private static DateTimeOffset Add(DateTimeOffset now, TimeSpan duration) =>
        duration >= DateTimeOffset.MaxValue - now ? DateTimeOffset.MaxValue : now + duration;
}
