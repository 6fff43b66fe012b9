using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.Logging;

namespace Wrapper.Infrastructure.OpenAI;

/// <summary>
/// The SDK's silent retries, kept on a short leash: at most <c>maxRetries</c> retries, only for 408, 429, 500, 502,
/// 503, 504 and transport errors; never when the upstream's retry-after asks for more than <c>maxDelay</c> (the caller
/// then gets the 429/5xx with its RetryAfter instead of a hidden wait); and never when the wait would end past the
/// call's overall deadline (first try + <c>requestTimeout</c>).
/// </summary>
internal sealed class BoundedRetryPolicy : ClientRetryPolicy
{
    private readonly int _maxRetries;
    private readonly TimeSpan _requestTimeout;
    private readonly TimeSpan _maxDelay;
    private readonly TimeSpan _baseDelay;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public BoundedRetryPolicy(int maxRetries, TimeSpan requestTimeout, TimeSpan maxDelay, TimeSpan baseDelay, TimeProvider time, ILogger logger)
        : base(maxRetries)
    {
        _maxRetries = maxRetries;
        _requestTimeout = requestTimeout;
        _maxDelay = maxDelay;
        _baseDelay = baseDelay;
        _time = time;
        _logger = logger;
    }

    protected override void OnSendingRequest(PipelineMessage message) => StateOf(message).Tries++;

    protected override ValueTask OnSendingRequestAsync(PipelineMessage message)
    {
        OnSendingRequest(message);
        return ValueTask.CompletedTask;
    }

    protected override bool ShouldRetry(PipelineMessage message, Exception? exception)
    {
        var state = StateOf(message);
        state.PlannedDelay = TimeSpan.Zero;
        var retriesSoFar = state.Tries - 1;
        if (retriesSoFar >= _maxRetries || message.CancellationToken.IsCancellationRequested)
        {
            return false;
        }

        string reason;
        TimeSpan? retryAfter = null;
        if (exception is not null)
        {
            if (!IsTransportFailure(exception))
            {
                return false;
            }

            reason = exception.GetType().Name;
        }
        else if (message.Response is { } response && IsRetriableStatus(response.Status))
        {
            reason = $"status {response.Status}";
            retryAfter = Upstream.UpstreamRetryAfter.Read(response, _time.GetUtcNow());
            if (retryAfter > _maxDelay)
            {
                _logger.LogInformation("Not retrying Azure OpenAI {Reason}: the upstream asked to wait {RetryAfterMs:0} ms, more than {MaxDelayMs:0} ms",
                    reason, retryAfter.Value.TotalMilliseconds, _maxDelay.TotalMilliseconds);
                return false;
            }
        }
        else
        {
            return false;
        }

        var delay = retryAfter ?? Backoff(retriesSoFar);
        var remaining = _requestTimeout - _time.GetElapsedTime(state.Started);
        if (delay >= remaining)
        {
            _logger.LogInformation("Not retrying Azure OpenAI {Reason}: a wait of {DelayMs:0} ms would pass the call's deadline", reason, delay.TotalMilliseconds);
            return false;
        }

        state.PlannedDelay = delay;
        _logger.LogInformation("Retrying Azure OpenAI after {Reason} in {DelayMs:0} ms (retry {Retry} of {MaxRetries})",
            reason, delay.TotalMilliseconds, retriesSoFar + 1, _maxRetries);
        return true;
    }

    protected override ValueTask<bool> ShouldRetryAsync(PipelineMessage message, Exception? exception) =>
        ValueTask.FromResult(ShouldRetry(message, exception));

    protected override TimeSpan GetNextDelay(PipelineMessage message, int tryCount) => StateOf(message).PlannedDelay;

    internal static bool IsRetriableStatus(int status) => status is 408 or 429 or 500 or 502 or 503 or 504;

    /// <summary>Failures of the connection itself (refused, reset, dropped mid-answer, one try's network timeout):
    /// the transport wraps HttpRequestException in a ClientResultException without a response.</summary>
    private static bool IsTransportFailure(Exception exception) => exception switch
    {
        ClientResultException { Status: 0 } => true,
        HttpRequestException or IOException => true,
        OperationCanceledException => true, // the message's own token is not cancelled (checked above): a per-try network timeout
        _ => false,
    };

    /// <summary>Exponential back-off with ±20 % jitter, capped by the largest wait we accept.</summary>
    private TimeSpan Backoff(int retriesSoFar)
    {
        var exponential = _baseDelay.TotalMilliseconds * Math.Pow(2, retriesSoFar);
        var jittered = exponential * (0.8 + (Random.Shared.NextDouble() * 0.4));
        return TimeSpan.FromMilliseconds(Math.Min(jittered, _maxDelay.TotalMilliseconds));
    }

    private RetryState StateOf(PipelineMessage message)
    {
        if (message.TryGetProperty(typeof(RetryState), out var value) && value is RetryState state)
        {
            return state;
        }

        state = new RetryState(_time.GetTimestamp());
        message.SetProperty(typeof(RetryState), state);
        return state;
    }

    private sealed class RetryState(long started)
    {
        public long Started { get; } = started;
        public int Tries { get; set; }
        public TimeSpan PlannedDelay { get; set; }
    }
}
