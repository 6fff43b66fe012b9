using System.Diagnostics.CodeAnalysis;

namespace Wrapper.Simulator;

/// <summary>
/// The queue of pending <see cref="FaultSpec"/>s. Routes take the first pending fault that matches their
/// target, one request at a time, in the order the faults were added. Thread-safe.
/// </summary>
public sealed class FaultInjector
{
    /// <summary>Target of the Azure OpenAI routes.</summary>
    public const string OpenAITarget = "openai";

    /// <summary>Target of the Agent Service routes.</summary>
    public const string AgentsTarget = "agents";

    private readonly object _gate = new();
    private readonly List<PendingFault> _pending = [];

    /// <summary>Whether <paramref name="target"/> names a simulated route family.</summary>
    public static bool IsKnownTarget(string target) =>
        string.Equals(target, OpenAITarget, StringComparison.OrdinalIgnoreCase)
        || string.Equals(target, AgentsTarget, StringComparison.OrdinalIgnoreCase);

    /// <summary>Queues a fault for the next <see cref="FaultSpec.Count"/> matching requests.</summary>
    /// <exception cref="ArgumentException">The spec is invalid (see <see cref="FaultSpec.Validate"/>).</exception>
    public void Add(FaultSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var errors = spec.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors.Values.SelectMany(e => e)), nameof(spec));
        }

        var normalized = spec with { Target = spec.Target?.ToLowerInvariant() };
        lock (_gate)
        {
            _pending.Add(new PendingFault(normalized, normalized.Count));
        }
    }

    /// <summary>Removes every pending fault.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _pending.Clear();
        }
    }

    /// <summary>The pending faults, oldest first; <see cref="FaultSpec.Count"/> is what is left of each.</summary>
    public IReadOnlyList<FaultSpec> Pending
    {
        get
        {
            lock (_gate)
            {
                return _pending.Select(p => p.Spec with { Count = p.Remaining }).ToArray();
            }
        }
    }

    /// <summary>
    /// Takes one use of the oldest pending fault whose target is <paramref name="target"/> or any route.
    /// </summary>
    public bool TryTake(string target, [MaybeNullWhen(false)] out FaultSpec spec)
    {
        lock (_gate)
        {
            for (var i = 0; i < _pending.Count; i++)
            {
                var pending = _pending[i];
                if (pending.Spec.Target is not null
                    && !string.Equals(pending.Spec.Target, target, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                pending.Remaining--;
                if (pending.Remaining == 0)
                {
                    _pending.RemoveAt(i);
                }

                spec = pending.Spec;
                return true;
            }
        }

        spec = null;
        return false;
    }

    private sealed class PendingFault(FaultSpec spec, int remaining)
    {
        public FaultSpec Spec { get; } = spec;

        public int Remaining { get; set; } = remaining;
    }
}
