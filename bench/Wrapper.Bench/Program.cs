using Wrapper.Bench;

// Two roles in one program:
//   (default) the benchmark driver: builds and starts the simulator and the proxies under test, drives them with wrk,
//             and writes the comparison table (bench/README.md);
//   yarp      the plain YARP pass-through that the driver starts as its own process (target (2)).
try
{
    if (args.Length > 0 && args[0] == "yarp")
    {
        return await YarpPassThrough.RunAsync(args[1..]);
    }

    var options = BenchOptions.Parse(args);
    if (options is null)
    {
        Console.WriteLine(BenchOptions.Usage);
        return 0;
    }

    return await new BenchRunner(options).RunAsync();
}
catch (BenchException ex)
{
    await Console.Error.WriteLineAsync($"bench: {ex.Message}");
    return 2;
}
