namespace Wrapper.Gateway.Failover;

/// <summary>The state of the current try of a request, shared (as an <see cref="HttpContext"/> feature) by the
/// failover middleware, the response transform, the passive health policy and the affinity policy.</summary>
public sealed class ForwardAttempt
{
    /// <summary>1 for the first backend tried.</summary>
    public int Number { get; private set; }

    /// <summary>True when no other backend will be tried after this one: its answer goes to the client whatever it is.</summary>
    public bool IsLast { get; private set; }

    /// <summary>The backend's status, when it answered.</summary>
    public int? BackendStatus { get; private set; }

    /// <summary>The wait the backend asked for (<c>Retry-After</c>), when it did.</summary>
    public TimeSpan? BackendRetryAfter { get; private set; }

    /// <summary>True when the backend's answer carried a <c>WWW-Authenticate</c> challenge (a 401 addressed to the client).</summary>
    public bool BackendChallengedClient { get; private set; }

    /// <summary>True when the backend marked its answer as a refusal caused by the client
    /// (<c>X-Wrapper-Refusal: client</c>, e.g. the client's own rate limit): the backend is healthy, and the answer
    /// goes to the client as it is, without failover.</summary>
    public bool BackendRefusedClient { get; private set; }

    /// <summary>True when the backend's answer was held back so that another backend can be tried.</summary>
    public bool Suppressed { get; private set; }

    public void Begin(int number, bool isLast)
    {
        Number = number;
        IsLast = isLast;
        BackendStatus = null;
        BackendRetryAfter = null;
        BackendChallengedClient = false;
        BackendRefusedClient = false;
        Suppressed = false;
    }

    public void RecordResponse(int status, TimeSpan? retryAfter, bool challengedClient, bool refusedClient = false)
    {
        BackendStatus = status;
        BackendRetryAfter = retryAfter;
        BackendChallengedClient = challengedClient;
        BackendRefusedClient = refusedClient;
    }

    public void Suppress() => Suppressed = true;
}
