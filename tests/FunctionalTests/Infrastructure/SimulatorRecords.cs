namespace Wrapper.FunctionalTests.Infrastructure;

/// <summary>A simulator records a request (its outcome counter) when its side of the request has ended, which for a
/// dropped, abandoned or cancelled connection can be after the API has answered: wait for the record before asserting
/// on it.</summary>
public static class SimulatorRecords
{
    /// <summary>Waits (at most 10 s; the bound only ends a broken run) until <paramref name="recorded"/> holds.</summary>
    public static async Task WaitUntilAsync(Func<bool> recorded)
    {
        var until = DateTime.UtcNow.AddSeconds(10);
        while (!recorded() && DateTime.UtcNow < until)
        {
            await Task.Delay(20);
        }
    }
}
