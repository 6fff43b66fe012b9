namespace Wrapper.Simulator;

/// <summary>
/// Applies pending faults of a <see cref="FaultInjector"/> to requests: the latency, then a dropped connection
/// or an Azure-shaped error. The OpenAI routes use it; other simulated routes can too
/// (<see cref="WithSimulatorFaults{TBuilder}"/> or <see cref="TryApplyAsync"/>).
/// </summary>
public static class FaultResponder
{
    /// <summary><see cref="HttpContext.Items"/> key set when a fault dropped the connection.</summary>
    public const string DroppedItemKey = "Wrapper.Simulator.Dropped";

    /// <summary>
    /// Takes the next fault for <paramref name="target"/> and applies it. True when the request was answered
    /// or dropped by the fault; false when it should be served normally (no fault, or only a latency).
    /// </summary>
    public static async Task<bool> TryApplyAsync(HttpContext context, string target)
    {
        var faults = context.RequestServices.GetRequiredService<FaultInjector>();
        return faults.TryTake(target, out var fault) && await ApplyAsync(context, fault);
    }

    /// <summary>Applies <paramref name="fault"/>; true when it answered or dropped the request.</summary>
    public static async Task<bool> ApplyAsync(HttpContext context, FaultSpec fault)
    {
        if (fault.LatencyMs > 0)
        {
            await Task.Delay(fault.LatencyMs, context.RequestAborted);
        }

        if (fault.Drop)
        {
            context.Items[DroppedItemKey] = true;
            context.Abort();
            return true;
        }

        if (fault.Status is not int status)
        {
            return false;
        }

        if (fault.RetryAfterSeconds is int retryAfter)
        {
            AzureErrors.SetRetryAfter(context.Response, TimeSpan.FromSeconds(retryAfter));
        }

        var (code, message) = AzureErrors.ForStatus(status, fault.RetryAfterSeconds);
        await AzureErrors.Result(status, code, message).ExecuteAsync(context);
        return true;
    }

    /// <summary>Applies the faults for <paramref name="target"/> before the endpoints of <paramref name="builder"/> run.</summary>
    public static TBuilder WithSimulatorFaults<TBuilder>(this TBuilder builder, string target)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (invocation, next) =>
            await TryApplyAsync(invocation.HttpContext, target) ? Results.Empty : await next(invocation));
}
