namespace Wrapper.Simulator.OpenAI;

/// <summary>What the limiter decided for one request, with the numbers for the <c>x-ratelimit-*</c> headers.</summary>
internal readonly record struct RateDecision(
    bool Allowed,
    int TokenLimit,
    int RemainingTokens,
    int RequestLimit,
    int RemainingRequests,
    TimeSpan RetryAfter);

/// <summary>Tokens and requests of one deployment in the last minute.</summary>
internal readonly record struct DeploymentUsage(int TokensInWindow, int RequestsInWindow);

/// <summary>
/// Tokens-per-minute and requests-per-minute limits per deployment over a sliding 60 s window.
/// A request costs its prompt plus completion tokens; it is refused when that cost no longer fits in the
/// window (a cost above the whole limit needs an empty window). Thread-safe.
/// </summary>
internal sealed class DeploymentRateLimiter(TimeProvider time)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly Dictionary<string, DeploymentWindow> _windows = new(StringComparer.OrdinalIgnoreCase);

    public RateDecision TryAcquire(string deployment, int tokens, int tokenLimit, int requestLimit)
    {
        var window = GetWindow(deployment);
        var now = time.GetUtcNow();
        lock (window)
        {
            window.Prune(now - Window);

            if (requestLimit > 0 && window.Requests.Count >= requestLimit)
            {
                var freeAt = window.Requests.Peek().At + Window;
                return Decision(false, window, tokenLimit, requestLimit, freeAt - now);
            }

            if (tokenLimit > 0)
            {
                var needed = Math.Min(tokens, tokenLimit);
                if (window.Tokens + needed > tokenLimit)
                {
                    return Decision(false, window, tokenLimit, requestLimit, window.FitsAt(tokenLimit - needed) - now);
                }
            }

            window.Add(now, tokens);
            return Decision(true, window, tokenLimit, requestLimit, TimeSpan.Zero);
        }

        RateDecision Decision(bool allowed, DeploymentWindow w, int tokenLimit, int requestLimit, TimeSpan retryAfter) => new(
            allowed,
            tokenLimit,
            Math.Max(0, tokenLimit - w.Tokens),
            requestLimit,
            Math.Max(0, requestLimit - w.Requests.Count),
            retryAfter);
    }

    public IReadOnlyDictionary<string, DeploymentUsage> Snapshot()
    {
        var now = time.GetUtcNow();
        var result = new Dictionary<string, DeploymentUsage>(StringComparer.OrdinalIgnoreCase);
        lock (_windows)
        {
            foreach (var (name, window) in _windows)
            {
                lock (window)
                {
                    window.Prune(now - Window);
                    result[name] = new DeploymentUsage(window.Tokens, window.Requests.Count);
                }
            }
        }

        return result;
    }

    public void Reset()
    {
        lock (_windows)
        {
            _windows.Clear();
        }
    }

    private DeploymentWindow GetWindow(string deployment)
    {
        lock (_windows)
        {
            if (!_windows.TryGetValue(deployment, out var window))
            {
                window = new DeploymentWindow();
                _windows[deployment] = window;
            }

            return window;
        }
    }

    private sealed class DeploymentWindow
    {
        public Queue<(DateTimeOffset At, int Tokens)> Requests { get; } = new();

        public int Tokens { get; private set; }

        public void Add(DateTimeOffset at, int tokens)
        {
            Requests.Enqueue((at, tokens));
            Tokens += tokens;
        }

        /// <summary>When the oldest requests have left the window far enough for at most <paramref name="tokens"/> to stay.</summary>
        public DateTimeOffset FitsAt(int tokens)
        {
            var remaining = Tokens;
            foreach (var (at, cost) in Requests)
            {
                remaining -= cost;
                if (remaining <= tokens)
                {
                    return at + Window;
                }
            }

            return Requests.Count > 0 ? Requests.Last().At + Window : DateTimeOffset.MinValue;
        }

        public void Prune(DateTimeOffset before)
        {
            while (Requests.Count > 0 && Requests.Peek().At <= before)
            {
                Tokens -= Requests.Dequeue().Tokens;
            }
        }
    }
}
